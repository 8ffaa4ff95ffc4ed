"""``onnx-diffusion-pipeline``: bring your own Stable Diffusion pipeline exported to ONNX.

A folder in the layout Hugging Face optimum writes for ``ORTStableDiffusionPipeline``
(``optimum-cli export onnx --model runwayml/stable-diffusion-v1-5 DIR``) is registered by path
(``aigc models add DIR --name N``) and chosen per request with the ``model`` option. Importing this
package needs only pydantic and pluggy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aigc.core.sdk import GeneratorSpec, Settings, hookimpl, load_registered
from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """The generator; registered pipelines are loaded (and sha256-checked) on first use."""
    from aigc.plugins.onnx_diffusion_pipeline.generator import OnnxDiffusionPipelineGenerator

    return OnnxDiffusionPipelineGenerator(context.runtime, context.models_file)


def _examples(settings: Settings) -> tuple[dict[str, Any], ...]:
    """A request for the first registered pipeline, if any (for `aigc demo`)."""
    try:
        models = load_registered(settings.resolved_models_file)
    except ValueError:
        return ()  # an unreadable registry is reported by `aigc doctor` and on use, not here
    names = sorted(name for name, model in models.items() if model.format == "stable-diffusion")
    if not names:
        return ()
    return ({"prompt": "a lighthouse at night, oil painting", "options": {"model": names[0]}, "n": 1},)


@hookimpl
def aigc_register_generators(register: Callable[[GeneratorSpec], None], settings: Settings) -> None:
    """Register the ``onnx-diffusion-pipeline`` generator."""
    register(
        GeneratorSpec(
            name="onnx-diffusion-pipeline",
            modality="image",
            version=VERSION,
            options=PipelineOptions,
            factory=build_generator,
            media_types=("image/png",),
            prompt="required",
            max_batch_size=8,
            stateless=True,
            description=(
                "Images from a prompt with a Stable Diffusion pipeline you exported to ONNX with optimum "
                "and registered (`aigc models add`), sampled with DDIM or Euler; image-to-image from a "
                "PNG; options: model, negative_prompt, width, height, steps, guidance_scale, sampler, "
                "image, strength"
            ),
            examples=_examples(settings),
        )
    )
