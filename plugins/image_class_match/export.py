"""Export the trained classifier: ``python -m aigc.plugins.image_class_match.export``.

Loads ``checkpoint.pt``, writes ``classifier.onnx`` (outputs ``logits`` and ``features``, dynamic
batch), checks it against torch at batch 1, 16 and 64, and writes ``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import check_parity, export_command_line, export_onnx, write_manifest
from aigc.plugins.image_class_match import ONNX_FILE, VERSION
from aigc.plugins.image_class_match.model import ClassifierConfig, DigitClassifier

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-class-match"
CHECKPOINT_FILE = "checkpoint.pt"
PARITY_TOLERANCE = 1e-4


def load_classifier(folder: Path = PLUGIN_DIR) -> tuple[DigitClassifier, dict[str, object]]:
    """The classifier in eval mode from ``folder/checkpoint.pt``, and its training record."""
    checkpoint = torch.load(folder / CHECKPOINT_FILE, weights_only=True)
    model = DigitClassifier(ClassifierConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint["training"]


def example_images(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random images in [0, 1] as the graph's feeds."""
    rng = np.random.default_rng(seed)
    return {"image": rng.random((batch, 1, 8, 8), dtype=np.float32)}


def export(folder: Path, command: str, console: Console) -> dict[str, float]:
    """Export, check parity and write the manifest; returns the parity max-abs differences."""
    model, training = load_classifier(folder)
    path = export_onnx(model, example_images(4), folder / ONNX_FILE, ["logits", "features"])
    parity = check_parity(model, path, example_images, tolerance=PARITY_TOLERANCE)
    write_manifest(
        folder,
        NAME,
        VERSION,
        [ONNX_FILE, CHECKPOINT_FILE],
        training={
            **training,
            "export_command": command,
            "parity_max_abs": parity,
        },
    )
    console.print(f"{path} ({path.stat().st_size:,} bytes); max |torch - onnx| {parity}")
    return parity


def main() -> None:
    export_command_line("aigc.plugins.image_class_match.export", export, PLUGIN_DIR, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
