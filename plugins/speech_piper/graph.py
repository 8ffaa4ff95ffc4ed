"""A Piper voice graph made seedable and batch-aware, rewritten in memory when it is loaded.

Piper's VITS graphs draw their noise with ``RandomNormalLike`` nodes, whose generator ONNX
Runtime seeds once per session and advances on every run: the same request would sound different
each time. Each such node is replaced by a lookup into a graph input of standard normal numbers
(``noise_0``, ``noise_1``: batch x ``NOISE_SIZE``), drawn by numpy from the request's seed.
Element ``(channel, time)`` of a row takes number ``(channel * NOISE_STRIDE + time) mod
NOISE_SIZE`` of that row, which does not depend on how far the batch is padded. The per-phoneme
frame counts (the ``Ceil`` of the durations, as Piper's alignment patch exposes them) become the
output ``phoneme_frames``, so each row of a padded batch is cut to its own length.

Needs the ``onnx`` package (the ``speech`` extra) once per voice and process; the voice file
itself is never changed.
"""

from __future__ import annotations

from typing import Any

NOISE_SIZE = 1 << 16
NOISE_STRIDE = 1021  # prime: rows of channels land on different numbers for sentences up to ~12 s
FRAMES_OUTPUT = "phoneme_frames"


def _noise_nodes(helper: Any, node: Any, noise: str, prefix: str) -> list[Any]:
    """Nodes computing ``node``'s output (shape of its input, batch x channels x time) from ``noise``."""
    int64 = 7

    def constant(name: str, value: int, rank: int = 0) -> Any:
        tensor = helper.make_tensor(f"{prefix}/{name}_value", int64, [1] * rank, [value])
        return helper.make_node("Constant", [], [f"{prefix}/{name}"], value=tensor)

    def op(kind: str, inputs: list[str], output: str, **attributes: Any) -> Any:
        return helper.make_node(kind, [f"{prefix}/{i}" for i in inputs], [f"{prefix}/{output}"], **attributes)

    return [
        constant("zero", 0),
        constant("one", 1),
        constant("two", 2),
        constant("axis0", 0, rank=1),
        constant("axis1", 1, rank=1),
        constant("flat", -1, rank=1),
        constant("stride", NOISE_STRIDE),
        constant("size", NOISE_SIZE),
        helper.make_node("Shape", [node.input[0]], [f"{prefix}/shape"]),
        op("Gather", ["shape", "one"], "channels"),
        op("Gather", ["shape", "two"], "times"),
        op("Range", ["zero", "channels", "one"], "channel"),
        op("Range", ["zero", "times", "one"], "time"),
        op("Unsqueeze", ["channel", "axis1"], "channel_column"),
        op("Unsqueeze", ["time", "axis0"], "time_row"),
        op("Mul", ["channel_column", "stride"], "channel_offset"),
        op("Add", ["channel_offset", "time_row"], "position"),
        op("Mod", ["position", "size"], "index"),
        op("Reshape", ["index", "flat"], "indices"),
        helper.make_node("Gather", [noise, f"{prefix}/indices"], [f"{prefix}/picked"], axis=1),
        helper.make_node("Reshape", [f"{prefix}/picked", f"{prefix}/shape"], [node.output[0]]),
    ]


def seedable_voice(model_bytes: bytes) -> bytes:
    """The voice graph with noise inputs ``noise_0``, ``noise_1`` and the output ``phoneme_frames``."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    random_nodes = [n for n in graph.node if n.op_type == "RandomNormalLike"]
    ceil_outputs = [o for n in graph.node if n.op_type == "Ceil" for o in n.output]
    if len(ceil_outputs) != 1:
        raise ValueError(
            f"expected one Ceil node (the phoneme durations) in a Piper voice, found {len(ceil_outputs)}"
        )
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        index = random_nodes.index(node)
        noise = f"noise_{index}"
        graph.input.append(
            helper.make_tensor_value_info(noise, TensorProto.FLOAT, ["batch_size", NOISE_SIZE])
        )
        nodes.extend(_noise_nodes(helper, node, noise, f"/aigc_noise_{index}"))
    nodes.append(helper.make_node("Identity", [ceil_outputs[0]], [FRAMES_OUTPUT]))
    del graph.node[:]
    graph.node.extend(nodes)
    graph.output.append(helper.make_tensor_value_info(FRAMES_OUTPUT, TensorProto.FLOAT, None))
    serialized: bytes = model.SerializeToString()
    return serialized
