"""``image-text-diffusion``: 32x32 emoji-style pictures from a prompt, one PNG per sample.

A UNet conditioned on all-MiniLM-L6-v2 sentence embeddings (``unet.onnx``), trained here on
Google's emoji and their names, sampled with DDIM and classifier-free guidance; the sampler loop
is numpy around ONNX Runtime. The prompt's embedding comes from the ONNX graph that
``text-relevance`` exports into the data folder. Importing this package needs only pydantic and
pluggy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigc.core.sdk import MANIFEST_NAME, GeneratorSpec, Settings, hookimpl
from aigc.plugins.image_text_diffusion.options import TextDiffusionOptions
from aigc.plugins.lib.sentence_embedding import SENTENCE_MODEL, SENTENCE_MODEL_VERSION, sentence_model_folder

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "unet.onnx"
VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """Load ``unet.onnx`` and the sentence encoder through the runtime (sha256-checked)."""
    from aigc.core.sdk import PluginLoadError
    from aigc.plugins.image_text_diffusion.generator import ImageTextDiffusionGenerator
    from aigc.plugins.lib.sentence_embedding.encoder import load_sentence_encoder

    folder = sentence_model_folder(context.data_dir)
    if not (folder / MANIFEST_NAME).is_file():
        where = f"models/{SENTENCE_MODEL}/{SENTENCE_MODEL_VERSION}"
        raise PluginLoadError(
            f"image-text-diffusion embeds prompts with all-MiniLM-L6-v2, which is not exported in the "
            f"data folder ({where}): pip install 'aigc[relevance]', then use the text-relevance evaluator "
            f"once or run `python -m aigc.plugins.text_relevance.export $AIGC_HOME/{where}`"
        )
    encoder = load_sentence_encoder(context.runtime, folder)
    return ImageTextDiffusionGenerator(context.runtime.session(MODEL_DIR, ONNX_FILE), encoder)


def _examples(settings: Settings) -> tuple[dict[str, Any], ...]:
    """Two prompts for `aigc demo`, once the sentence model is exported (listing stays fast: the
    files are checked when the generator loads, not here)."""
    if not (sentence_model_folder(settings.data_dir) / MANIFEST_NAME).is_file():
        return ()
    return ({"prompt": "a red apple", "n": 4}, {"prompt": "a smiling face", "n": 4})


@hookimpl
def aigc_register_generators(register: Callable[[GeneratorSpec], None], settings: Settings) -> None:
    """Register the ``image-text-diffusion`` generator."""
    register(
        GeneratorSpec(
            name="image-text-diffusion",
            modality="image",
            version=VERSION,
            options=TextDiffusionOptions,
            factory=build_generator,
            media_types=("image/png",),
            prompt="required",
            model_dir=MODEL_DIR,
            stateless=True,
            description=(
                "Emoji-style 32x32 pictures from a prompt (e.g. 'a red apple'): a diffusion UNet "
                "conditioned on all-MiniLM-L6-v2 embeddings, trained on Google's emoji and their names, "
                "sampled with DDIM; needs text-relevance's exported model; options: steps, "
                "guidance_scale, negative_prompt, scale"
            ),
            examples=_examples(settings),
        )
    )
