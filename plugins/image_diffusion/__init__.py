"""``image-diffusion``: 8x8 handwritten digits from a conditional diffusion model, one PNG per sample.

A DDPM-trained UNet (``unet.onnx``) sampled with DDIM and classifier-free guidance; the sampler
loop is numpy around ONNX Runtime. Registered through the ``aigc`` entry point like any
third-party plugin; importing this package needs only pydantic and pluggy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.image_diffusion.options import DiffusionOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "unet.onnx"
VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """Load ``unet.onnx`` through the runtime (sha256-checked) and wrap it in the DDIM sampler."""
    from aigc.plugins.image_diffusion.generator import ImageDiffusionGenerator

    return ImageDiffusionGenerator(context.runtime.session(MODEL_DIR, ONNX_FILE))


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="image-diffusion",
        modality="image",
        version=VERSION,
        options=DiffusionOptions,
        factory=build_generator,
        media_types=("image/png",),
        model_dir=MODEL_DIR,
        stateless=True,
        description=(
            "Handwritten digits 0-9 (8x8, upscaled) from a conditional diffusion UNet trained on "
            "scikit-learn's digits, sampled with DDIM; options: label, steps, guidance_scale, scale"
        ),
        examples=(
            {"options": {"label": 2}, "n": 4},
            {"options": {"label": 8, "steps": 10, "guidance_scale": 3.0}, "n": 4},
        ),
    )
)
