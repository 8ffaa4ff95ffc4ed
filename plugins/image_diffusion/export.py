"""Export the trained UNet: ``python -m aigc.plugins.image_diffusion.export``.

Loads ``checkpoint.pt``, writes ``unet.onnx`` (inputs ``x`` [batch, 1, 8, 8] float32, ``t``
[batch] int64 and ``label`` [batch] int64 with 10 = null; output ``eps``; dynamic batch), checks
it against torch at batch 1, 16 and 64 and writes ``manifest.json``. Then, if the
``image-class-match`` classifier is installed, generates digits per label through the plugin
itself and records how many the classifier recognises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import ModelRuntime, export_command_line
from aigc.plugins.image_diffusion import ONNX_FILE, VERSION
from aigc.plugins.image_diffusion.generator import ImageDiffusionGenerator
from aigc.plugins.image_diffusion.model import ConditionalUnet, UnetConfig
from aigc.plugins.image_diffusion.options import DiffusionOptions
from aigc.plugins.image_metrics.recognition import record_recognition
from aigc.plugins.lib.diffusion.export import CHECKPOINT_FILE, export_unet
from aigc.plugins.lib.diffusion.schedule import NUM_TRAIN_TIMESTEPS

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-diffusion"
RECOGNITION_SAMPLES_PER_LABEL = 100
RECOGNITION_SETTINGS = (
    {"steps": 25, "guidance_scale": 0.25},
    {"steps": 25, "guidance_scale": 0.0},
    {"steps": 25, "guidance_scale": 1.0},
    {"steps": 5, "guidance_scale": 0.25},
)


def load_unet(folder: Path = PLUGIN_DIR) -> tuple[ConditionalUnet, dict[str, object]]:
    """The UNet (EMA weights) in eval mode from ``folder/checkpoint.pt``, and its training record."""
    checkpoint = torch.load(folder / CHECKPOINT_FILE, weights_only=True)
    model = ConditionalUnet(UnetConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint["training"]


def example_feeds(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random noisy images, timesteps and labels (null label included) as the graph's feeds."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((batch, 1, 8, 8), dtype=np.float32),
        "t": rng.integers(0, NUM_TRAIN_TIMESTEPS, batch, dtype=np.int64),
        "label": rng.integers(0, 11, batch, dtype=np.int64),
    }


def export(folder: Path, command: str, console: Console) -> dict[str, object]:
    """Export, check parity, write the manifest and add the recognition rate; returns the figures."""
    model, training = load_unet(folder)
    parity = export_unet(model, training, example_feeds, folder, (NAME, VERSION), command, console)
    recognition = record_recognition(
        folder,
        lambda: ImageDiffusionGenerator(ModelRuntime().session(folder, ONNX_FILE)),
        RECOGNITION_SETTINGS,
        lambda label, setting: DiffusionOptions(label=label, scale=1, **setting),
        NAME,
        RECOGNITION_SAMPLES_PER_LABEL,
        console,
    )
    return {"parity_max_abs": parity, "class_match": recognition}


def main() -> None:
    export_command_line("aigc.plugins.image_diffusion.export", export, PLUGIN_DIR, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
