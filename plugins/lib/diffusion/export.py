"""Export a trained noise-predicting UNet to ONNX, check it against torch and write the manifest
(torch: export time only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from torch import nn

from aigc.core.sdk import check_parity, export_onnx, write_manifest

ONNX_FILE = "unet.onnx"
CHECKPOINT_FILE = "checkpoint.pt"
PARITY_TOLERANCE = 1e-4


def export_unet(
    model: nn.Module,
    training: dict[str, object],
    example_feeds: Callable[[int], dict[str, np.ndarray]],
    folder: Path,
    plugin: tuple[str, str],
    command: str,
    console: Console,
    output: str = "eps",
) -> dict[str, float]:
    """Write ``folder/unet.onnx`` (one output named ``output``, dynamic batch) from ``model``, check
    it at batch 1, 16 and 64 and write the manifest of ``plugin`` (name, version) with ``training``
    and the parity figures; returns the largest ``|torch - onnx|`` per batch size."""
    path = export_onnx(model, example_feeds(4), folder / ONNX_FILE, [output])
    parity: dict[str, float] = check_parity(model, path, example_feeds, tolerance=PARITY_TOLERANCE)
    training = {**training, "export_command": command, "parity_max_abs": parity}
    name, version = plugin
    write_manifest(folder, name, version, [ONNX_FILE, CHECKPOINT_FILE], training=training)
    console.print(f"{path} ({path.stat().st_size:,} bytes); max |torch - onnx| {parity}")
    return parity
