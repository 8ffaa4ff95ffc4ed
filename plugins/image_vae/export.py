"""Export the trained VAE: ``python -m aigc.plugins.image_vae.export``.

Loads ``checkpoint.pt`` and writes two graphs with a dynamic batch: ``decoder.onnx`` (inputs
``z`` and ``label``, output ``image`` in [0, 1]), the only one generation needs, and
``encoder.onnx`` (inputs ``image`` and ``label``, outputs ``mu`` and ``logvar``) for variations
of an input image. Checks both against torch at batch 1, 16 and 64, writes ``manifest.json``,
then, if the ``image-class-match`` classifier is installed, generates 300 digits per label
through the plugin itself and records how many the classifier recognises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.core.sdk import ModelRuntime, check_parity, export_command_line, export_onnx, write_manifest
from aigc.plugins.image_metrics.recognition import record_recognition
from aigc.plugins.image_vae import DECODER_FILE, ENCODER_FILE, VERSION
from aigc.plugins.image_vae.generator import ImageVaeGenerator
from aigc.plugins.image_vae.model import Decoder, Encoder, VaeConfig
from aigc.plugins.image_vae.options import VaeOptions

PLUGIN_DIR = Path(__file__).resolve().parent
NAME = "image-vae"
CHECKPOINT_FILE = "checkpoint.pt"
PARITY_TOLERANCE = 1e-4
RECOGNITION_SAMPLES_PER_LABEL = 300
RECOGNITION_TEMPERATURES = (1.0, 0.5, 1.5, 2.0)


def load_vae(folder: Path = PLUGIN_DIR) -> tuple[Encoder, Decoder, dict[str, object]]:
    """Encoder and decoder in eval mode from ``folder/checkpoint.pt``, and the training record."""
    checkpoint = torch.load(folder / CHECKPOINT_FILE, weights_only=True)
    config = VaeConfig(**checkpoint["config"])
    encoder, decoder = Encoder(config), Decoder(config)
    encoder.load_state_dict(checkpoint["encoder"])
    decoder.load_state_dict(checkpoint["decoder"])
    return encoder.eval(), decoder.eval(), checkpoint["training"]


def decoder_feeds(batch: int, z_dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random latents and labels as the decoder's feeds."""
    rng = np.random.default_rng(seed)
    return {
        "z": rng.standard_normal((batch, z_dim), dtype=np.float32),
        "label": rng.integers(0, 10, batch, dtype=np.int64),
    }


def encoder_feeds(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random images in [0, 1] and labels as the encoder's feeds."""
    rng = np.random.default_rng(seed)
    return {
        "image": rng.random((batch, 1, 8, 8), dtype=np.float32),
        "label": rng.integers(0, 10, batch, dtype=np.int64),
    }


def export(folder: Path, command: str, console: Console) -> dict[str, object]:
    """Export both graphs, check parity, write the manifest and add the recognition rate."""
    encoder, decoder, training = load_vae(folder)
    z_dim = decoder.config.z_dim
    decoder_path = export_onnx(decoder, decoder_feeds(4, z_dim), folder / DECODER_FILE, ["image"])
    encoder_path = export_onnx(encoder, encoder_feeds(4), folder / ENCODER_FILE, ["mu", "logvar"])
    parity = {
        "decoder": check_parity(
            decoder, decoder_path, lambda b: decoder_feeds(b, z_dim), tolerance=PARITY_TOLERANCE
        ),
        "encoder": check_parity(encoder, encoder_path, encoder_feeds, tolerance=PARITY_TOLERANCE),
    }
    training = {**training, "export_command": command, "parity_max_abs": parity}
    write_manifest(folder, NAME, VERSION, [DECODER_FILE, ENCODER_FILE, CHECKPOINT_FILE], training=training)
    for path in (decoder_path, encoder_path):
        console.print(f"{path} ({path.stat().st_size:,} bytes)")
    console.print(f"max |torch - onnx| {parity}")
    runtime = ModelRuntime()
    recognition = record_recognition(
        folder,
        lambda: ImageVaeGenerator(
            runtime.session(folder, DECODER_FILE), runtime.session(folder, ENCODER_FILE)
        ),
        [{"temperature": temperature} for temperature in RECOGNITION_TEMPERATURES],
        lambda label, setting: VaeOptions(label=label, scale=1, **setting),
        NAME,
        RECOGNITION_SAMPLES_PER_LABEL,
        console,
    )
    return {"parity_max_abs": parity, "class_match": recognition}


def main() -> None:
    export_command_line("aigc.plugins.image_vae.export", export, PLUGIN_DIR, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
