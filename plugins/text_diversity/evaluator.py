"""The ``text-diversity`` (set) and ``text-repetition`` (item) evaluators: standard library and numpy."""

from __future__ import annotations

from collections.abc import Sequence

from aigc.core.schemas import EvalResult
from aigc.core.specs import EvalItem
from aigc.plugins.text_diversity.options import DiversityOptions, RepetitionOptions
from aigc.plugins.text_metrics.diversity import distinct_n, repetition_rate, self_bleu
from aigc.plugins.text_metrics.tokens import words


def _no_tokens(metric: str) -> EvalResult:
    return EvalResult(metric=metric, error="no word tokens to measure")


class DiversityEvaluator:
    """distinct-1, distinct-2 and self-BLEU of all the texts of a request."""

    def evaluate_set(self, items: Sequence[EvalItem], options: DiversityOptions) -> list[EvalResult]:
        texts = [words(item.artifact.text or "") for item in items]
        results = []
        for n in (1, 2):
            value = distinct_n(texts, n)
            total = sum(max(0, len(t) - n + 1) for t in texts)
            results.append(
                _no_tokens(f"distinct_{n}")
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
            passed = None if options.max_self_bleu is None else bleu <= options.max_self_bleu
            results.append(
                EvalResult(
                    metric="self_bleu",
                    score=1.0 - bleu,
                    value=bleu,
                    passed=passed,
                    reason=f"self-BLEU-4 {bleu:.3f} over {scored} of {len(texts)} texts",
                    details={"hypotheses": scored, "seed": options.seed},
                )
            )
        return results


class RepetitionEvaluator:
    """The share of a text's word n-grams that repeat an earlier one."""

    def evaluate(self, items: Sequence[EvalItem], options: RepetitionOptions) -> list[list[EvalResult]]:
        results = []
        for item in items:
            tokens = words(item.artifact.text or "")
            rate = repetition_rate(tokens, options.n)
            if rate is None:
                results.append([_no_tokens("repetition")])
                continue
            passed = None if options.max_rate is None else rate <= options.max_rate
            results.append(
                [
                    EvalResult(
                        metric="repetition",
                        score=1.0 - rate,
                        value=rate,
                        passed=passed,
                        reason=f"{rate:.3f} of {len(tokens) - options.n + 1} {options.n}-grams repeat",
                        details={"n": options.n, "tokens": len(tokens)},
                    )
                ]
            )
        return results
