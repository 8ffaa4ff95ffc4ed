"""``text-diversity`` and ``text-repetition``: how varied generated text is.

``text-diversity`` is a set-level evaluator (distinct-1, distinct-2 and self-BLEU of all of a
request's texts); ``text-repetition`` scores each text on its own (repeated word n-grams).
Definitions: ``aigc/plugins/lib/text_metrics/README.md``. Importing this package needs only pydantic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, hookimpl
from aigc.plugins.lib.text_metrics.registration import text_evaluator
from aigc.plugins.text_diversity.options import DiversityOptions, RepetitionOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext, SetEvaluator

VERSION = "1.0.0"


def build_diversity(context: PluginContext) -> SetEvaluator:
    """The set-level diversity evaluator (no model)."""
    from aigc.plugins.text_diversity.evaluator import DiversityEvaluator

    return DiversityEvaluator()


def build_repetition(context: PluginContext) -> Evaluator:
    """The per-text repetition evaluator (no model)."""
    from aigc.plugins.text_diversity.evaluator import RepetitionEvaluator

    return RepetitionEvaluator()


@hookimpl
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
    """Register ``text-diversity`` (set scope) and ``text-repetition`` (item scope)."""
    diversity = (
        "set-level: distinct-1 and distinct-2 (unique / total word n-grams over all texts) and "
        "self-BLEU-4 (mean BLEU of each text against the others; score = 1 - self-BLEU)"
    )
    register(
        text_evaluator("text-diversity", VERSION, DiversityOptions, build_diversity, diversity, scope="set")
    )
    repetition = "share of a text's word n-grams (n = 3) that repeat an earlier one; score = 1 - rate"
    register(text_evaluator("text-repetition", VERSION, RepetitionOptions, build_repetition, repetition))
