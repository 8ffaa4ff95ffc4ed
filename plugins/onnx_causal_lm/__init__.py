"""``onnx-causal-lm``: bring your own ONNX language model.

Any folder written by Hugging Face optimum's exporter (``optimum-cli export onnx --task
text-generation-with-past``) or by onnxruntime-genai's model builder is registered by path
(``aigc models add PATH --name N``) and chosen per request with the ``model`` option. Importing
this package needs only pydantic and pluggy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aigc.core.sdk import GeneratorSpec, Settings, hookimpl, load_registered
from aigc.plugins.onnx_causal_lm.options import CausalLMOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

VERSION = "1.0.0"


def build_generator(context: PluginContext) -> Generator:
    """The generator; registered models are loaded (and sha256-checked) on first use."""
    from aigc.core.sdk import Scheduling
    from aigc.plugins.onnx_causal_lm.generator import OnnxCausalLMGenerator

    return OnnxCausalLMGenerator(context.runtime, context.models_file, Scheduling.of(context.settings))


def _examples(settings: Settings) -> tuple[dict[str, Any], ...]:
    """A greedy and a sampled request for the first registered model, if any (for `aigc demo`)."""
    try:
        names = sorted(load_registered(settings.resolved_models_file))
    except ValueError:
        return ()  # an unreadable registry is reported by `aigc doctor` and on use, not here
    if not names:
        return ()
    return (
        {"prompt": "Once upon a time", "options": {"model": names[0], "max_new_tokens": 24}, "n": 2},
        {"prompt": "The", "options": {"model": names[0], "temperature": 0, "max_new_tokens": 16}},
    )


@hookimpl
def aigc_register_generators(register: Callable[[GeneratorSpec], None], settings: Settings) -> None:
    """Register the ``onnx-causal-lm`` generator."""
    register(
        GeneratorSpec(
            name="onnx-causal-lm",
            modality="text",
            version=VERSION,
            options=CausalLMOptions,
            factory=build_generator,
            media_types=("text/plain",),
            prompt="required",
            chat=True,
            max_batch_size=32,
            description=(
                "Continues a prompt, or answers messages with the model's chat template, with a language "
                "model you registered (`aigc models add`): an optimum `text-generation-with-past` export, "
                "an onnxruntime-genai build or a Llama GGUF file; options: "
                "model, max_new_tokens, temperature, top_k, top_p, repetition_penalty, stop"
            ),
            examples=_examples(settings),
        )
    )
