"""``image-vae``: 8x8 handwritten digits from a conditional VAE's decoder, PNGs per sample.

Registered through the ``aigc`` entry point like any third-party plugin. Importing this
package needs only pydantic and pluggy; ONNX Runtime is loaded when the generator is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.image_vae.options import VaeOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
DECODER_FILE = "decoder.onnx"
ENCODER_FILE = "encoder.onnx"
VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """Load ``decoder.onnx`` and ``encoder.onnx`` through the runtime (sha256-checked) and wrap them."""
    from aigc.plugins.image_vae.generator import ImageVaeGenerator

    return ImageVaeGenerator(
        context.runtime.session(MODEL_DIR, DECODER_FILE), context.runtime.session(MODEL_DIR, ENCODER_FILE)
    )


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="image-vae",
        modality="image",
        version=VERSION,
        options=VaeOptions,
        factory=build_generator,
        media_types=("image/png",),
        model_dir=MODEL_DIR,
        stateless=True,
        description=(
            "Handwritten digits 0-9 (8x8, upscaled) from a conditional VAE trained on "
            "scikit-learn's digits; options: label, temperature, mode (sample/interpolate/vary), "
            "seed_b, steps, image, scale"
        ),
        examples=(
            {"options": {"label": 3}, "n": 4},
            {"options": {"label": 5, "mode": "interpolate", "steps": 8}, "n": 1},
        ),
    )
)
