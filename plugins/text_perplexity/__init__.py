"""``text-perplexity``: perplexity of generated text under a reference language model.

The reference is the ``text-transformer`` model by default (its folder holds ``model.onnx``,
``tokenizer.json`` and ``config.json``); lower perplexity means text the reference finds more
typical of its training corpus. Importing this package needs only pydantic and pluggy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.text_perplexity.options import PerplexityOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "text_transformer"
ONNX_FILE = "model.onnx"
VERSION = "1.0.0"


def build_evaluator(context: PluginContext, model_dir: Path = REFERENCE_DIR) -> Evaluator:
    """Load the reference model, tokenizer and config (all sha256-checked)."""
    from aigc.plugins.text_perplexity.evaluator import PerplexityEvaluator
    from aigc.plugins.text_transformer.generator import load_model_config, load_tokenizer

    session = context.runtime.session(model_dir, ONNX_FILE)
    return PerplexityEvaluator(session, load_tokenizer(model_dir), load_model_config(model_dir))


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="text-perplexity",
        version=VERSION,
        options=PerplexityOptions,
        factory=build_evaluator,
        media_types=("text/plain",),
        model_dir=REFERENCE_DIR,
        description=(
            "perplexity of the text under the text-transformer reference model (value); "
            "score = 1 - ln(perplexity) / ln(vocabulary size), clipped to [0, 1]"
        ),
    )
)
