"""``image-gan``: 8x8 handwritten digits from a conditional DCGAN, one PNG per sample.

Registered through the ``aigc`` entry point like any third-party plugin. Importing this
package needs only pydantic and pluggy; ONNX Runtime is loaded when the generator is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.image_gan.options import GanOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "generator.onnx"
VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """Load ``generator.onnx`` through the runtime (sha256-checked) and wrap it."""
    from aigc.plugins.image_gan.generator import ImageGanGenerator

    return ImageGanGenerator(context.runtime.session(MODEL_DIR, ONNX_FILE))


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="image-gan",
        modality="image",
        version=VERSION,
        options=GanOptions,
        factory=build_generator,
        media_types=("image/png",),
        model_dir=MODEL_DIR,
        stateless=True,
        description=(
            "Handwritten digits 0-9 (8x8, upscaled) from a conditional DCGAN trained on "
            "scikit-learn's digits; options: label, truncation, scale"
        ),
        examples=({"options": {"label": 7}, "n": 4}, {"n": 8, "options": {"truncation": 1.0}}),
    )
)
