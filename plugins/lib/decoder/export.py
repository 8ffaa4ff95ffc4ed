"""Export a trained ``Decoder`` to ONNX with a KV cache, and check it against torch.

The graph has Hugging Face optimum's names (``input_ids``, ``attention_mask``,
``position_ids``, ``past_key_values.{i}.key|value`` in; ``logits``, ``present.{i}.key|value``
out). Batch, sequence, past length and total length are dynamic (checked on the written file);
a zero-length past serves the prompt. Weights keep their parameter names
(``restore_parameter_names``), so tests rebuild the torch module from the ONNX file alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import (
    ExportError,
    assert_dynamic_dims,
    export_onnx,
    load_parameters_from_onnx,
    max_abs_diff,
    restore_parameter_names,
)
from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig, OnnxDecoder, input_names, output_names

PARITY_TOLERANCE = 1e-4


def load_torch_decoder(config: DecoderConfig, onnx_path: Path) -> Decoder:
    """The torch decoder of sizes ``config`` rebuilt from the weights in ``onnx_path`` (eval mode)."""
    wrapper = load_parameters_from_onnx(OnnxDecoder(Decoder(config)), onnx_path)
    return wrapper.decoder.eval()  # type: ignore[no-any-return]


def feeds(
    config: DecoderConfig, batch: int, new: int, past: int, seed: int = 0, pad_rows: bool = True
) -> dict[str, np.ndarray]:
    """Random graph inputs; with ``pad_rows`` odd rows are left-padded by a few positions."""
    rng = np.random.default_rng(seed)
    total = past + new
    mask = np.ones((batch, total), dtype=np.int64)
    if pad_rows:
        for row in range(1, batch, 2):
            mask[row, : min(total - 1, 1 + row % 5)] = 0
    positions = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)[:, past:]
    result = {
        "input_ids": rng.integers(0, config.vocab_size, (batch, new), dtype=np.int64),
        "attention_mask": mask,
        "position_ids": positions.astype(np.int64),
    }
    shape = (batch, config.n_kv_heads, past, config.head_dim)
    for i in range(config.n_layers):
        result[f"past_key_values.{i}.key"] = rng.standard_normal(shape, dtype=np.float32)
        result[f"past_key_values.{i}.value"] = rng.standard_normal(shape, dtype=np.float32)
    return result


def parity(decoder: Decoder, path: Path, cases: tuple[tuple[int, int, int], ...]) -> dict[str, float]:
    """Max |torch - ONNX| over all outputs per ``(batch, new, past)`` case; raises above the tolerance."""
    wrapper = OnnxDecoder(decoder).eval()
    diffs: dict[str, float] = {}
    for batch, new, past in cases:
        per_output = max_abs_diff(wrapper, path, feeds(decoder.config, batch, new, past))
        diffs[f"batch{batch}_new{new}_past{past}"] = max(per_output.values())
    worst = max(diffs.values())
    if worst > PARITY_TOLERANCE:
        raise ExportError(f"{path.name}: torch and ONNX differ by up to {worst} (cases {diffs})")
    return diffs


def dynamic_shapes(config: DecoderConfig) -> tuple[Any, ...]:
    """torch.export dynamic shapes for ``OnnxDecoder``'s flat signature."""
    dim = torch.export.Dim
    batch, sequence = dim("batch"), dim("sequence")
    past, total = dim("past_sequence"), dim("total_sequence")
    cache = tuple({0: batch, 2: past} for _ in range(2 * config.n_layers))
    return ({0: batch, 1: sequence}, {0: batch, 1: total}, {0: batch, 1: sequence}, cache)


def dynamic_inputs(config: DecoderConfig) -> dict[str, tuple[int, ...]]:
    """The input axes that must stay symbolic in the written graph."""
    dims: dict[str, tuple[int, ...]] = {"input_ids": (0, 1), "attention_mask": (0, 1), "position_ids": (0, 1)}
    for name in input_names(config)[3:]:
        dims[name] = (0, 2)
    return dims


def export_decoder(decoder: Decoder, path: Path) -> None:
    """Write ``path`` from ``decoder``, with parameter names restored and dynamic dims checked."""
    config = decoder.config
    # Example sizes >= 2 everywhere: the exporter fixes a dimension whose example size is 1.
    example = feeds(config, batch=2, new=3, past=4, pad_rows=False)
    export_onnx(
        OnnxDecoder(decoder), example, path, output_names(config), dynamic_shapes=dynamic_shapes(config)
    )
    missing = restore_parameter_names(path, OnnxDecoder(decoder))
    if missing:
        raise ExportError(f"{path.name}: no initializer holds parameters {missing}")
    assert_dynamic_dims(path, dynamic_inputs(config))


def load_checkpoint(path: Path) -> tuple[Decoder, dict[str, Any]]:
    """The decoder (eval mode) and the training record of a ``checkpoint.pt`` from ``training.save``."""
    checkpoint = torch.load(path, weights_only=False)
    decoder = Decoder(DecoderConfig(**checkpoint["config"]))
    decoder.load_state_dict(checkpoint["state_dict"])
    training = dict(checkpoint["training"])
    training.pop("partial", None)
    return decoder.eval(), training


def export_main(
    module: str,
    checkpoint_dir: Path,
    folder: Path,
    export: Callable[[Path, Path, str, Console], object],
) -> None:
    """The command line of a plugin's ``export.py``: ``--checkpoint-dir`` and ``--folder``, then
    ``export(checkpoint_dir, folder, command, console)`` with the command as typed."""
    parser = argparse.ArgumentParser(description=f"Export the trained decoder: python -m {module}")
    parser.add_argument("--checkpoint-dir", type=Path, default=checkpoint_dir, help="holds checkpoint.pt")
    parser.add_argument("--folder", type=Path, default=folder, help="gets model.onnx and the manifest")
    args = parser.parse_args()
    export(args.checkpoint_dir, args.folder, " ".join([f"python -m {module}", *sys.argv[1:]]), Console())
