"""``text-transformer``: English text from a small Llama-style decoder with a KV cache.

Registered through the ``aigc`` entry point like any third-party plugin. Importing this package
needs only pydantic and pluggy; ONNX Runtime and ``tokenizers`` are loaded when the generator
is built. The model was trained on public-domain text (see README.md); serving needs no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.text_transformer.options import TextOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "model.onnx"
VERSION = "1.0.0"


def build_generator(context: PluginContext, model_dir: Path = MODEL_DIR) -> Generator:
    """Load ``model.onnx`` through the runtime and the tokenizer and config (all sha256-checked)."""
    from aigc.plugins.text_transformer.generator import (
        TextTransformerGenerator,
        load_model_config,
        load_tokenizer,
    )

    session = context.runtime.session(model_dir, ONNX_FILE)
    return TextTransformerGenerator(session, load_tokenizer(model_dir), load_model_config(model_dir))


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="text-transformer",
        modality="text",
        version=VERSION,
        options=TextOptions,
        factory=build_generator,
        media_types=("text/plain",),
        prompt="required",
        max_batch_size=32,
        model_dir=MODEL_DIR,
        description=(
            "Continues an English prompt with a 2.4M-parameter Llama-style decoder trained on "
            "public-domain text (KJV and World English Bibles, Jargon File, Devil's Dictionary, "
            "WordNet glosses); options: max_new_tokens, temperature, top_k, top_p, "
            "repetition_penalty, stop"
        ),
        examples=(
            {"prompt": "In the beginning", "options": {"max_new_tokens": 60}, "n": 2},
            {
                "prompt": "And the LORD said unto Moses,",
                "options": {"temperature": 0, "max_new_tokens": 40},
                "n": 1,
            },
            {"prompt": "hacker:", "options": {"max_new_tokens": 40, "stop": ["."]}, "n": 2},
        ),
    )
)
