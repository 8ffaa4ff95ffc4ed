"""The Llama decoder as an ONNX graph with a static KV cache (ONNX Runtime contrib ops).

Signature (``StaticCacheLM`` in ``aigc.core.decoding`` drives it):

- ``input_ids``, ``position_ids``: int64 ``(batch, sequence)``: each row's new tokens, right-padded;
- ``seqlens_k``: int32 ``(batch,)``: each row's cache length after this step, minus 1 (a row's new
  tokens are written at ``seqlens_k + 1 - sequence`` onwards, so padding lands past its real end,
  where the row's next tokens overwrite it);
- ``total_sequence_length``: int32 scalar, the longest row's cache length after this step;
- ``logits_positions``: int64 ``(batch, kept)``: which new positions get logits (each row's last
  real token while decoding, every position when scoring a text);
- ``past_key_values.{i}.key|value``: float ``(batch, kv_heads, capacity, head_dim)``, bound to the
  same buffers as ``present.{i}.key|value``: ``GroupQueryAttention`` appends in place.

Outputs: ``logits`` ``(batch, kept, vocab)`` and the ``present`` buffers.

Layer by layer as ``transformers``' ``LlamaForCausalLM``: RMSNorm fused with the residual add
(``SkipSimplifiedLayerNormalization``), one packed Q/K/V projection, ``GroupQueryAttention`` with
rotary embedding ("rotate half" form: llama.cpp's interleaved Q/K rows are unpermuted when read),
the output projection, and the SiLU-gated MLP with gate and up packed in one projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aigc.core.gguf.reader import GgufModel, LlamaConfig, Tensor
from aigc.core.gguf.weights import BLOCK, BlockWeight, block_weight, float_weight, is_block_quantized

OPSET = 17
IR_VERSION = 10  # what ONNX Runtime 1.20+ loads; the onnx package may default to a newer one
MS = "com.microsoft"


@dataclass
class GraphBuilder:
    """Accumulates nodes and initializers; small constants are shared by value."""

    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    _count: int = 0
    _small: dict[tuple[str, bytes], str] = field(default_factory=dict)

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, value: np.ndarray) -> str:
        """An initializer; small ones (shapes, axes, scalars) are shared by value."""
        from onnx import numpy_helper

        value = np.asarray(value)
        key = (value.dtype.str + str(value.shape), value.tobytes()) if value.size <= 16 else None
        if key is not None and key in self._small:
            return self._small[key]
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        if key is not None:
            self._small[key] = name
        return name

    def node(self, op_type: str, inputs: Sequence[str], outputs: Sequence[str], **attributes: Any) -> None:
        from onnx import helper

        domain = attributes.pop("domain", "")
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), domain=domain, **attributes))

    def op(
        self,
        op_type: str,
        inputs: Sequence[str],
        hint: str | None = None,
        output: str | None = None,
        **attributes: Any,
    ) -> str:
        """Append a one-output node; its output is ``output`` or a unique name made from ``hint``."""
        output = output or self.name(hint or op_type.lower())
        self.node(op_type, inputs, [output], **attributes)
        return output


def rotary_tables(config: LlamaConfig) -> tuple[np.ndarray, np.ndarray]:
    """``cos`` and ``sin`` ``(context, head_dim / 2)`` for every position, as transformers computes them."""
    exponents = np.arange(0, config.head_dim, 2, dtype=np.int64).astype(np.float32) / config.head_dim
    inv_freq = (1.0 / (config.rope_theta**exponents)).astype(np.float32)
    angles = np.outer(np.arange(config.context, dtype=np.float32), inv_freq).astype(np.float32)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def _concat_blocks(weights: Sequence[BlockWeight]) -> BlockWeight:
    """Several block weights of one input size stacked along their outputs (one packed projection)."""
    first = weights[0]
    minimums = [w.minimums for w in weights]
    zero_points = [w.zero_points for w in weights]
    return BlockWeight(
        first.bits,
        sum(w.n for w in weights),
        first.k,
        np.concatenate([w.packed for w in weights]),
        np.concatenate([w.scales for w in weights]),
        None if zero_points[0] is None else np.concatenate([z for z in zero_points if z is not None]),
        None if minimums[0] is None else np.concatenate([m for m in minimums if m is not None]),
    )


class LlamaGraph:
    """Builds the decoder from a ``GgufModel``; ``quantized`` maps GGML blocks onto ``MatMulNBits``."""

    def __init__(self, model: GgufModel, quantized: bool, accuracy_level: int = 4) -> None:
        self.model, self.config = model, model.config
        self.quantized, self.accuracy_level = quantized, accuracy_level
        self.g = GraphBuilder()

    def tensor(self, name: str) -> Tensor:
        return self.model.tensors[name]

    def vector(self, name: str) -> str:
        return self.g.constant(name.replace(".", "_"), self.tensor(name).dequantized().reshape(-1))

    def linear(self, x: str, weights: Sequence[tuple[str, int | None]], output: str | None = None) -> str:
        """``x @ W.T`` for GGUF weights ``(out, in)`` stacked along their outputs; each name comes
        with the head count whose rotary rows must be unpermuted (Q and K), else ``None``."""
        g, hint = self.g, weights[0][0].replace(".", "_")
        tensors = [(self.tensor(name), heads) for name, heads in weights]
        types = {tensor.type_name for tensor, _ in tensors}
        if self.quantized and len(types) == 1 and all(is_block_quantized(t) for t, _ in tensors):
            w = _concat_blocks([block_weight(tensor, heads) for tensor, heads in tensors])
            inputs = [x, g.constant(hint + "_q", w.packed), g.constant(hint + "_scales", w.scales)]
            if w.zero_points is not None:
                inputs.append(g.constant(hint + "_zp", w.zero_points))
            product = g.op(
                "MatMulNBits",
                inputs,
                hint,
                None if w.minimums is not None else output,
                domain=MS,
                K=w.k,
                N=w.n,
                bits=w.bits,
                block_size=BLOCK,
                accuracy_level=self.accuracy_level,
            )
            if w.minimums is None:
                return product
            # Q4_1's block minimums: each block's input sum times its minimum (see weights.py).
            blocks = g.op(
                "Reshape", [x, g.constant("blocks", np.array([0, 0, w.k // BLOCK, BLOCK], np.int64))]
            )
            sums = g.op("ReduceSum", [blocks, g.constant("axis", np.array([-1], np.int64))], keepdims=0)
            offset = g.op("MatMul", [sums, g.constant(hint + "_min", np.ascontiguousarray(w.minimums.T))])
            return g.op("Add", [product, offset], hint, output)
        weight = np.concatenate([float_weight(tensor, heads) for tensor, heads in tensors])
        return g.op("MatMul", [x, g.constant(hint, np.ascontiguousarray(weight.T))], hint, output)

    def embed(self, input_ids: str) -> str:
        """Token embeddings: Q8_0 and Q4_0 rows stay in their blocks (``GatherBlockQuantized``)."""
        tensor = self.tensor("token_embd.weight")
        if self.quantized and is_block_quantized(tensor) and tensor.type_name in ("Q8_0", "Q4_0"):
            w = block_weight(tensor)
            rows, scales = w.packed.reshape(w.n, -1), w.scales.reshape(w.n, -1)
            return self.g.op(
                "GatherBlockQuantized",
                [
                    self.g.constant("token_embd_q", rows),
                    input_ids,
                    self.g.constant("token_embd_scales", scales),
                ],
                "embed",
                domain=MS,
                bits=w.bits,
                block_size=BLOCK,
                gather_axis=0,
                quantize_axis=1,
            )
        return self.g.op("Gather", [self.g.constant("token_embd", tensor.dequantized()), input_ids], "embed")

    def norm(self, x: str, residual: str | None, weight: str) -> tuple[str, str]:
        """RMSNorm of ``x + residual`` (or of ``x``); returns ``(normed, new residual)``."""
        g = self.g
        if residual is None:
            normed = g.op(
                "SimplifiedLayerNormalization",
                [x, self.vector(weight)],
                "norm",
                axis=-1,
                epsilon=self.config.rms_eps,
                stash_type=1,
            )
            return normed, x
        normed, total = g.name("norm"), g.name("residual")
        g.node(
            "SkipSimplifiedLayerNormalization",
            [x, residual, self.vector(weight)],
            [normed, "", "", total],
            domain=MS,
            epsilon=self.config.rms_eps,
        )
        return normed, total

    def attention(self, layer: int, x: str, cos: str, sin: str) -> str:
        c, g, prefix = self.config, self.g, f"blk.{layer}."
        qkv = self.linear(
            x,
            [
                (prefix + "attn_q.weight", c.heads),
                (prefix + "attn_k.weight", c.kv_heads),
                (prefix + "attn_v.weight", None),
            ],
        )
        context = g.name("attention")
        g.node(
            "GroupQueryAttention",
            [
                qkv,
                "",
                "",
                f"past_key_values.{layer}.key",
                f"past_key_values.{layer}.value",
                "seqlens_k",
                "total_sequence_length",
                cos,
                sin,
                "position_ids",
            ],
            [context, f"present.{layer}.key", f"present.{layer}.value"],
            domain=MS,
            num_heads=c.heads,
            kv_num_heads=c.kv_heads,
            do_rotary=1,
            rotary_interleaved=0,
            scale=float(1.0 / np.sqrt(c.head_dim)),
        )
        return self.linear(context, [(prefix + "attn_output.weight", None)])

    def mlp(self, layer: int, x: str) -> str:
        prefix, g, width = f"blk.{layer}.", self.g, self.config.intermediate
        gate_up = self.linear(x, [(prefix + "ffn_gate.weight", None), (prefix + "ffn_up.weight", None)])
        halves = g.constant("halves", np.array([width, width], np.int64))
        gate, up = g.name("gate"), g.name("up")
        g.node("Split", [gate_up, halves], [gate, up], axis=-1)
        hidden = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        return self.linear(hidden, [(prefix + "ffn_down.weight", None)])

    def build(self) -> Any:
        """The ``onnx.ModelProto`` (weights as initializers; save with external data)."""
        from onnx import TensorProto, helper

        c, g = self.config, self.g
        cos_table, sin_table = rotary_tables(c)
        cos, sin = g.constant("cos_cache", cos_table), g.constant("sin_cache", sin_table)
        x, residual = self.embed("input_ids"), None
        for layer in range(c.layers):
            normed, residual = self.norm(x, residual, f"blk.{layer}.attn_norm.weight")
            x = self.attention(layer, normed, cos, sin)
            normed, residual = self.norm(x, residual, f"blk.{layer}.ffn_norm.weight")
            x = self.mlp(layer, normed)
        normed, _ = self.norm(x, residual, "output_norm.weight")
        positions = g.op("Unsqueeze", ["logits_positions", g.constant("axis", np.array([-1], np.int64))])
        kept = g.op("GatherND", [normed, positions], "kept", batch_dims=1)
        head = "output.weight" if "output.weight" in self.model.tensors else "token_embd.weight"
        self.linear(kept, [(head, None)], output="logits")

        def cache(name: str) -> Any:
            return helper.make_tensor_value_info(
                name, TensorProto.FLOAT, ["batch", c.kv_heads, "capacity", c.head_dim]
            )

        inputs = [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch"]),
            helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, []),
            helper.make_tensor_value_info("logits_positions", TensorProto.INT64, ["batch", "kept"]),
        ]
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "kept", c.vocab])]
        for layer in range(c.layers):
            for kind in ("key", "value"):
                inputs.append(cache(f"past_key_values.{layer}.{kind}"))
                outputs.append(cache(f"present.{layer}.{kind}"))
        graph = helper.make_graph(g.nodes, "llama", inputs, outputs, g.initializers)
        opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)]
        return helper.make_model(graph, opset_imports=opsets, producer_name="aigc", ir_version=IR_VERSION)


def build_graph(model: GgufModel, quantized: bool) -> Any:
    """The decoder graph of ``model`` (see the module docstring)."""
    return LlamaGraph(model, quantized).build()
