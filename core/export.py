"""Export helpers for plugin authors: torch module to ONNX, parity with torch, and the manifest.

A typical ``export.py``::

    path = export_onnx(model, {"z": z, "label": labels}, folder / "generator.onnx", ["image"])
    diffs = check_parity(model, path, make_inputs)           # batch 1, 16, 64
    write_manifest(folder, "image-gan", "1.0.0", ["generator.onnx"], training={...})
    update_training(folder, {"metrics": {...}})              # measured later, if at all

torch and onnx are imported inside the functions, so importing this module needs neither.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aigc.core.errors import ExportError
from aigc.core.manifest import Manifest, ModelFile, TensorSpec, load_manifest, sha256_file

if TYPE_CHECKING:
    import torch
    from rich.console import Console

DEFAULT_OPSET = 18
BATCH_DIM = "batch"
PARITY_BATCH_SIZES = (1, 16, 64)
TRANSPOSED = ".__transposed__"  # suffix of an initializer holding a parameter's transpose


def export_onnx(
    module: torch.nn.Module,
    example_inputs: Mapping[str, np.ndarray],
    path: Path,
    output_names: Sequence[str],
    opset: int = DEFAULT_OPSET,
    dynamic_shapes: Any | None = None,
) -> Path:
    """Export ``module`` (in eval mode) to one ONNX file whose first dimension is a symbolic batch.

    ``example_inputs`` maps graph input names to arrays, in the order ``forward`` takes them.
    Their batch must be at least 2: the dynamo exporter silently fixes a dimension whose example
    size is 1. The result is checked with :func:`assert_dynamic_batch`.
    ``dynamic_shapes`` (torch.export's structure, e.g. with ``torch.export.Dim``) replaces the
    default "dimension 0 of every input" when more axes are dynamic (sequence, past length);
    check them afterwards with :func:`assert_dynamic_dims`.
    """
    import torch

    batch_sizes = {array.shape[0] for array in example_inputs.values()}
    if len(batch_sizes) != 1 or min(batch_sizes) < 2:
        raise ExportError(f"example inputs need one shared batch size >= 2, got {sorted(batch_sizes)}")
    module = module.eval()
    batch = torch.export.Dim(BATCH_DIM)
    tensors = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in example_inputs.values())
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module,
            tensors,
            str(path),
            input_names=list(example_inputs),
            output_names=list(output_names),
            opset_version=opset,
            dynamo=True,
            external_data=False,
            verbose=False,
            dynamic_shapes=dynamic_shapes or tuple({0: batch} for _ in tensors),
        )
    assert_dynamic_batch(path)
    return path


def onnx_signature(path: Path) -> tuple[int | None, list[TensorSpec], list[TensorSpec]]:
    """The default-domain opset and the input and output specs of an ONNX file."""
    import onnx
    from onnx.helper import tensor_dtype_to_np_dtype

    model = onnx.load(str(path), load_external_data=False)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)

    def specs(values: Iterable[onnx.ValueInfoProto]) -> list[TensorSpec]:
        result = []
        for value in values:
            tensor = value.type.tensor_type
            shape: list[int | str] = [
                d.dim_param if d.dim_param else int(d.dim_value) for d in tensor.shape.dim
            ]
            dtype = np.dtype(tensor_dtype_to_np_dtype(tensor.elem_type)).name
            result.append(TensorSpec(name=value.name, dtype=dtype, shape=shape))
        return result

    return opset, specs(model.graph.input), specs(model.graph.output)


def assert_dynamic_batch(path: Path) -> None:
    """Raise ``ExportError`` unless dimension 0 of every graph input and output is symbolic."""
    _, inputs, outputs = onnx_signature(path)
    tensors = inputs + outputs
    fixed = [f"{t.name} {t.shape}" for t in tensors if not t.shape or not isinstance(t.shape[0], str)]
    if fixed:
        raise ExportError(
            f"{path.name}: batch dimension is fixed for {', '.join(fixed)}; "
            "export with an example batch of at least 2 and a dynamic first dimension"
        )


def assert_dynamic_dims(path: Path, dims: Mapping[str, Sequence[int]]) -> None:
    """Raise ``ExportError`` unless each listed axis of each named graph input is symbolic."""
    _, inputs, _ = onnx_signature(path)
    shapes = {t.name: t.shape for t in inputs}
    fixed = [
        f"{name}[{axis}]={shapes[name][axis] if name in shapes else 'missing'}"
        for name, axes in dims.items()
        for axis in axes
        if name not in shapes or not isinstance(shapes[name][axis], str)
    ]
    if fixed:
        raise ExportError(f"{path.name}: these input dimensions are not dynamic: {', '.join(fixed)}")


def max_abs_diff(
    module: torch.nn.Module, onnx_path: Path, inputs: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Largest absolute difference between torch and ONNX Runtime, per output name."""
    import torch

    from aigc.core.runtime import unverified_session

    session = unverified_session(onnx_path)  # no manifest lists the file yet
    names = [o.name for o in session.get_outputs()]
    ort_outputs = session.run(names, dict(inputs))
    with torch.no_grad():
        result = module.eval()(*(torch.from_numpy(np.ascontiguousarray(a)) for a in inputs.values()))
    torch_outputs = list(result) if isinstance(result, tuple | list) else [result]
    if len(torch_outputs) != len(names):
        raise ExportError(f"torch returned {len(torch_outputs)} outputs, the ONNX graph has {len(names)}")
    return {
        name: float(np.max(np.abs(t.numpy().astype(np.float64) - o.astype(np.float64))))
        for name, t, o in zip(names, torch_outputs, ort_outputs, strict=True)
    }


def check_parity(
    module: torch.nn.Module,
    onnx_path: Path,
    make_inputs: Callable[[int], Mapping[str, np.ndarray]],
    batch_sizes: Sequence[int] = PARITY_BATCH_SIZES,
    tolerance: float = 1e-4,
) -> dict[str, float]:
    """Max-abs difference over all outputs at each batch size (``{"batch_16": ...}``).

    Raises ``ExportError`` when any exceeds ``tolerance``.
    """
    diffs: dict[str, float] = {}
    for batch in batch_sizes:
        per_output = max_abs_diff(module, onnx_path, make_inputs(batch))
        diffs[f"batch_{batch}"] = max(per_output.values())
        if diffs[f"batch_{batch}"] > tolerance:
            raise ExportError(f"{onnx_path.name}: torch/ONNX outputs differ by {per_output} at batch {batch}")
    return diffs


def model_file_entry(path: Path) -> ModelFile:
    """A manifest entry for one file: sha256 and size, plus opset and signature for ONNX graphs."""
    entry = ModelFile(sha256=sha256_file(path), size=path.stat().st_size)
    if path.suffix == ".onnx":
        opset, inputs, outputs = onnx_signature(path)
        entry = entry.model_copy(update={"opset": opset, "inputs": inputs, "outputs": outputs})
    return entry


def write_manifest(
    folder: Path,
    name: str,
    version: str,
    files: Sequence[str],
    training: Mapping[str, Any] | None = None,
) -> Manifest:
    """Write ``folder/manifest.json`` listing ``files`` as they are now, replacing any earlier one.

    ``training`` records how the files were made: command, seed, data source, metrics.
    """
    manifest = Manifest(
        name=name,
        version=version,
        files={file: model_file_entry(folder / file) for file in files},
        training=dict(training or {}),
    )
    manifest.write(folder)
    return manifest


def update_training(folder: Path, entries: Mapping[str, Any]) -> Manifest:
    """Add or replace ``training`` entries of an existing manifest (e.g. a measurement made after export)."""
    manifest = load_manifest(folder)
    manifest = manifest.model_copy(update={"training": {**manifest.training, **entries}})
    manifest.write(folder)
    return manifest


def restore_parameter_names(path: Path, module: torch.nn.Module) -> list[str]:
    """Rename initializers that hold a parameter of ``module`` back to the parameter's name.

    The dynamo exporter folds ``Linear`` weights into transposed constants with generated names
    (``val_105``). An initializer equal to parameter ``p`` becomes ``p``'s name, one equal to its
    transpose ``p`` + ``TRANSPOSED``; node inputs follow. Rewrites ``path`` in place and returns the
    parameter names not found. :func:`load_parameters_from_onnx` reads them back, so a test can
    rebuild the torch module from the ONNX file alone.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    by_bytes: dict[tuple[tuple[int, ...], bytes], str] = {}
    for name, parameter in module.state_dict().items():
        array = parameter.detach().cpu().numpy()
        by_bytes.setdefault((array.shape, array.tobytes()), name)
        if array.ndim == 2:
            transposed = np.ascontiguousarray(array.T)
            by_bytes.setdefault((transposed.shape, transposed.tobytes()), name + TRANSPOSED)
    renames: dict[str, str] = {}
    taken = {i.name for i in model.graph.initializer}
    for initializer in model.graph.initializer:
        array = numpy_helper.to_array(initializer)
        target = by_bytes.get((array.shape, np.ascontiguousarray(array).tobytes()))
        if target and target != initializer.name and target not in taken and target not in renames.values():
            renames[initializer.name] = target
    for initializer in model.graph.initializer:
        initializer.name = renames.get(initializer.name, initializer.name)
    for node in model.graph.node:
        for index, name in enumerate(node.input):
            if name in renames:
                node.input[index] = renames[name]
    onnx.save(model, str(path))
    final = {renames.get(name, name) for name in taken}
    return [name for name in module.state_dict() if name not in final and name + TRANSPOSED not in final]


def load_parameters_from_onnx(module: torch.nn.Module, path: Path) -> torch.nn.Module:
    """Copy the weights of an ONNX file written with :func:`restore_parameter_names` into ``module``."""
    import onnx
    import torch
    from onnx import numpy_helper

    arrays = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    state = {}
    for name in module.state_dict():
        if name in arrays:
            state[name] = torch.from_numpy(arrays[name].copy())
        elif name + TRANSPOSED in arrays:
            state[name] = torch.from_numpy(np.ascontiguousarray(arrays[name + TRANSPOSED].T))
        else:
            raise ExportError(f"{path.name} has no initializer for parameter {name!r}")
    module.load_state_dict(state)
    return module


def export_command_line(
    module: str, export: Callable[[Path, str, Console], object], default_folder: Path, description: str
) -> None:
    """The command line every ``python -m <plugin>.export`` shares: ``--folder`` (default: the
    plugin's own folder) holds ``checkpoint.pt`` and gets the ONNX files; the command as typed is
    recorded in the manifest."""
    from rich.console import Console

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--folder", type=Path, default=default_folder, help="holds checkpoint.pt; gets the ONNX files"
    )
    command = " ".join([f"python -m {module}", *sys.argv[1:]])
    export(parser.parse_args().folder, command, Console())
