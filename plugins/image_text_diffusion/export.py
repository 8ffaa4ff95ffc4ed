"""Export the trained UNet: ``python -m aigc.plugins.image_text_diffusion.export``.

Loads ``checkpoint.pt``, writes ``unet.onnx`` (inputs ``x`` [batch, 3, 32, 32] float32, ``t``
[batch] int64 and ``text`` [batch, 384] float32 with all zeros = null; output ``x0``, the
predicted clean image; dynamic batch), checks it against torch at batch 1, 16 and 64 and writes
``manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import export_command_line
from aigc.plugins.image_text_diffusion import VERSION
from aigc.plugins.image_text_diffusion.model import TextConditionalUnet, TextUnetConfig
from aigc.plugins.lib.diffusion.export import CHECKPOINT_FILE, export_unet
from aigc.plugins.lib.diffusion.schedule import NUM_TRAIN_TIMESTEPS

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-text-diffusion"


def load_unet(folder: Path = PLUGIN_DIR) -> tuple[TextConditionalUnet, dict[str, object]]:
    """The UNet (EMA weights) in eval mode from ``folder/checkpoint.pt``, and its training record."""
    checkpoint = torch.load(folder / CHECKPOINT_FILE, weights_only=True)
    model = TextConditionalUnet(TextUnetConfig(**checkpoint["config"]))
    model.load_state_dict(
        {
            name: value.float() if value.is_floating_point() else value
            for name, value in checkpoint["state_dict"].items()
        }
    )
    return model.eval(), checkpoint["training"]


def example_feeds(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random noisy images, timesteps and unit-length text vectors (the first one null) as feeds."""
    rng = np.random.default_rng(seed)
    text = rng.standard_normal((batch, TextUnetConfig.text_dim)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    text[0] = 0.0
    return {
        "x": rng.standard_normal((batch, 3, 32, 32), dtype=np.float32),
        "t": rng.integers(0, NUM_TRAIN_TIMESTEPS, batch, dtype=np.int64),
        "text": text,
    }


def export(folder: Path, command: str, console: Console) -> dict[str, object]:
    """Export, check parity and write the manifest; returns the parity figures."""
    model, training = load_unet(folder)
    return {
        "parity_max_abs": export_unet(
            model, training, example_feeds, folder, (NAME, VERSION), command, console, "x0"
        )
    }


def main() -> None:
    export_command_line(
        "aigc.plugins.image_text_diffusion.export", export, PLUGIN_DIR, __doc__.splitlines()[0]
    )


if __name__ == "__main__":
    main()
