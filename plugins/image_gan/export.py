"""Export the trained generator: ``python -m aigc.plugins.image_gan.export``.

Loads ``checkpoint.pt``, writes ``generator.onnx`` (inputs ``z`` and ``label``, output ``image``,
dynamic batch), checks it against torch at batch 1, 16 and 64 and writes ``manifest.json``.
Then, if the ``image-class-match`` classifier is installed, generates 300 digits per label
through the plugin itself and records how many the classifier recognises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import ModelRuntime, check_parity, export_command_line, export_onnx, write_manifest
from aigc.plugins.image_gan import ONNX_FILE, VERSION
from aigc.plugins.image_gan.generator import ImageGanGenerator
from aigc.plugins.image_gan.model import GanConfig, Generator
from aigc.plugins.image_gan.options import GanOptions
from aigc.plugins.image_metrics.recognition import record_recognition

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-gan"
CHECKPOINT_FILE = "checkpoint.pt"
PARITY_TOLERANCE = 1e-4
RECOGNITION_SAMPLES_PER_LABEL = 300
RECOGNITION_TRUNCATIONS = (2.0, 1.0, 4.0)


def load_generator(folder: Path = PLUGIN_DIR) -> tuple[Generator, dict[str, object]]:
    """The generator in eval mode from ``folder/checkpoint.pt``, and its training record."""
    checkpoint = torch.load(folder / CHECKPOINT_FILE, weights_only=True)
    model = Generator(GanConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint["training"]


def example_feeds(batch: int, z_dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random latents and labels as the graph's feeds."""
    rng = np.random.default_rng(seed)
    return {
        "z": rng.standard_normal((batch, z_dim), dtype=np.float32),
        "label": rng.integers(0, 10, batch, dtype=np.int64),
    }


def export(folder: Path, command: str, console: Console) -> dict[str, object]:
    """Export, check parity, write the manifest and add the recognition rate; returns the figures."""
    model, training = load_generator(folder)
    z_dim = model.config.z_dim
    path = export_onnx(model, example_feeds(4, z_dim), folder / ONNX_FILE, ["image"])
    parity = check_parity(model, path, lambda batch: example_feeds(batch, z_dim), tolerance=PARITY_TOLERANCE)
    training = {**training, "export_command": command, "parity_max_abs": parity}
    write_manifest(folder, NAME, VERSION, [ONNX_FILE, CHECKPOINT_FILE], training=training)
    console.print(f"{path} ({path.stat().st_size:,} bytes); max |torch - onnx| {parity}")
    recognition = record_recognition(
        folder,
        lambda: ImageGanGenerator(ModelRuntime().session(folder, ONNX_FILE)),
        [{"truncation": truncation} for truncation in RECOGNITION_TRUNCATIONS],
        lambda label, setting: GanOptions(label=label, scale=1, **setting),
        NAME,
        RECOGNITION_SAMPLES_PER_LABEL,
        console,
    )
    return {"parity_max_abs": parity, "class_match": recognition}


def main() -> None:
    export_command_line("aigc.plugins.image_gan.export", export, PLUGIN_DIR, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
