"""``text-memorization``: how much generated text repeats the ``text-transformer`` training corpus.

The corpus is represented by ``ngram_index.npz``, fingerprints of its word 8-grams built at
training time (``python -m aigc.plugins.text_memorization.build_index``; see
``plugins/lib/text_metrics/README.md``) and sha256-checked against ``manifest.json`` before loading.
Importing this package needs only pydantic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, hookimpl
from aigc.plugins.lib.text_metrics.registration import text_evaluator
from aigc.plugins.text_memorization.options import MemorizationOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

INDEX_DIR = Path(__file__).resolve().parent
INDEX_FILE = "ngram_index.npz"
VERSION = "1.0.0"


def build_evaluator(context: PluginContext, index_dir: Path = INDEX_DIR) -> Evaluator:
    """Load the n-gram index after checking it against the manifest."""
    from aigc.core.sdk import checked_file
    from aigc.plugins.lib.text_metrics.ngram_index import NgramIndex
    from aigc.plugins.text_memorization.evaluator import MemorizationEvaluator

    return MemorizationEvaluator(NgramIndex.load(checked_file(index_dir, INDEX_FILE)))


@hookimpl
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
    """Register the ``text-memorization`` evaluator."""
    description = (
        "share of the text's word 8-grams found in the text-transformer training corpus, and the "
        "longest verbatim run (tokens); fails at max_span (default 50) tokens"
    )
    spec = text_evaluator("text-memorization", VERSION, MemorizationOptions, build_evaluator, description)
    register(dataclasses.replace(spec, model_dir=INDEX_DIR))
