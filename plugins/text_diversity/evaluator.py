"""The ``text-diversity`` (set) and ``text-repetition`` (item) evaluators: standard library and numpy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigc.core.sdk import EvalItem, EvalResult
from aigc.plugins.lib.text_metrics.diversity import distinct_n, repetition_rate, self_bleu
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.text_diversity.options import DiversityOptions, RepetitionOptions


def _lower_is_better(
    metric: str, value: float, limit: float | None, reason: str, details: dict[str, Any]
) -> EvalResult:
    """A result whose score is 1 - value and which passes at most ``limit`` (no verdict without one)."""
    passed = None if limit is None else value <= limit
    return EvalResult(
        metric=metric, score=1.0 - value, value=value, passed=passed, reason=reason, details=details
    )


class DiversityEvaluator:
    """distinct-1, distinct-2 and self-BLEU of all the texts of a request."""

    def evaluate_set(self, items: Sequence[EvalItem], options: DiversityOptions) -> list[EvalResult]:
        texts = [words(item.artifact.text or "") for item in items]
        results = []
        for n in (1, 2):
            value = distinct_n(texts, n)
            total = sum(max(0, len(t) - n + 1) for t in texts)
            results.append(
                EvalResult(metric=f"distinct_{n}", error="no word n-grams to measure")
                if value is None
                else EvalResult(
                    metric=f"distinct_{n}",
                    score=value,
                    value=value,
                    reason=f"{value:.3f} of {total} {n}-grams are distinct",
                    details={"ngrams": total},
                )
            )
        bleu, scored = self_bleu(texts, options.max_hypotheses, options.seed)
        if bleu is None:
            results.append(EvalResult(metric="self_bleu", error="self-BLEU needs two texts with tokens"))
        else:
            reason = f"self-BLEU-4 {bleu:.3f} over {scored} of {len(texts)} texts"
            details = {"hypotheses": scored, "seed": options.seed}
            results.append(_lower_is_better("self_bleu", bleu, options.max_self_bleu, reason, details))
        return results


class RepetitionEvaluator:
    """The share of a text's word n-grams that repeat an earlier one."""

    def evaluate(self, items: Sequence[EvalItem], options: RepetitionOptions) -> list[list[EvalResult]]:
        results = []
        for item in items:
            tokens = words(item.artifact.text or "")
            if not tokens:
                results.append([EvalResult(metric="repetition", error="no word tokens to measure")])
                continue
            rate = repetition_rate(tokens, options.n) or 0.0  # fewer than n tokens repeat nothing
            ngrams = max(0, len(tokens) - options.n + 1)
            reason = f"{rate:.3f} of {ngrams} {options.n}-grams repeat"
            details = {"n": options.n, "tokens": len(tokens)}
            results.append([_lower_is_better("repetition", rate, options.max_rate, reason, details)])
        return results
