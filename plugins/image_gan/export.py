"""Export the trained generator: ``python -m aigc.plugins.image_gan.export``.

Loads ``checkpoint.pt``, writes ``generator.onnx`` (inputs ``z`` and ``label``, output ``image``,
dynamic batch), checks it against torch at batch 1, 16 and 64 and writes ``manifest.json``.
Then, if the ``image-class-match`` classifier is installed, generates 300 digits per label
through the plugin itself and records how many the classifier recognises.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.export import check_parity, export_onnx, update_training, write_manifest
from aigc.plugins.image_gan import ONNX_FILE, VERSION
from aigc.plugins.image_gan.model import GanConfig, Generator

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-gan"
CHECKPOINT_FILE = "checkpoint.pt"
PARITY_TOLERANCE = 1e-4
RECOGNITION_SAMPLES_PER_LABEL = 300


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


def recognition_rate(folder: Path, truncation: float) -> dict[str, object]:
    """Share of generated digits that the ``image-class-match`` classifier reads as requested."""
    from aigc.core.runtime import ModelRuntime
    from aigc.plugins.image_gan.generator import ImageGanGenerator
    from aigc.plugins.image_gan.options import GanOptions
    from aigc.plugins.image_metrics.recognition import recognition_rate as measure

    generator = ImageGanGenerator(ModelRuntime().session(folder, ONNX_FILE))
    rate = measure(
        generator,
        lambda label: GanOptions(label=label, truncation=truncation, scale=1),
        NAME,
        RECOGNITION_SAMPLES_PER_LABEL,
    )
    return rate | {"truncation": truncation}


def export(folder: Path, command: str, console: Console) -> dict[str, object]:
    """Export, check parity, write the manifest and add the recognition rate; returns the figures."""
    model, training = load_generator(folder)
    z_dim = model.config.z_dim
    path = export_onnx(model, example_feeds(4, z_dim), folder / ONNX_FILE, ["image"])
    parity = check_parity(model, path, lambda batch: example_feeds(batch, z_dim), tolerance=PARITY_TOLERANCE)
    training = {**training, "export_command": command, "parity_max_abs": parity}
    write_manifest(folder, NAME, VERSION, [ONNX_FILE, CHECKPOINT_FILE], training=training)
    console.print(f"{path} ({path.stat().st_size:,} bytes); max |torch - onnx| {parity}")
    figures: dict[str, object] = {"parity_max_abs": parity}
    try:
        recognition = [recognition_rate(folder, truncation) for truncation in (2.0, 1.0, 4.0)]
    except Exception as error:  # the classifier plugin is optional for this step
        console.print(f"[yellow]recognition rate not measured: {error}[/]")
        return figures
    update_training(folder, {"class_match": recognition})
    for entry in recognition:
        console.print(f"truncation {entry['truncation']}: classifier recognises {entry['accuracy']:.2%}")
    figures["class_match"] = recognition
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folder", type=Path, default=PLUGIN_DIR, help="holds checkpoint.pt; gets the ONNX file"
    )
    command = " ".join(["python -m aigc.plugins.image_gan.export", *sys.argv[1:]])
    export(parser.parse_args().folder, command, Console())


if __name__ == "__main__":
    main()
