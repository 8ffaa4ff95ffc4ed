"""The ``text-memorization`` evaluator: word n-gram overlap with the training corpus (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

from aigc.core.sdk import EvalItem, EvalResult
from aigc.plugins.lib.text_metrics.ngram_index import NgramIndex
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.text_memorization.options import MemorizationOptions


class MemorizationEvaluator:
    """``ngram_overlap`` (share of the text's n-grams in the corpus) and ``verbatim_span`` (the
    longest run of the text found in the corpus, in word tokens)."""

    def __init__(self, index: NgramIndex) -> None:
        self.index = index

    def evaluate(self, items: Sequence[EvalItem], options: MemorizationOptions) -> list[list[EvalResult]]:
        results = []
        for item in items:
            tokens = words(item.artifact.text or "")
            overlap = self.index.overlap(tokens)
            if not tokens:
                results.append([EvalResult(metric="ngram_overlap", error="no word tokens to compare")])
                continue
            share_ok = None if options.max_share is None else overlap.share <= options.max_share
            span = overlap.longest_span
            results.append(
                [
                    EvalResult(
                        metric="ngram_overlap",
                        score=1.0 - overlap.share,
                        value=overlap.share,
                        passed=share_ok,
                        reason=f"{overlap.found} of {overlap.ngrams} {self.index.n}-grams are in the corpus",
                        details={"n": self.index.n, "ngrams": overlap.ngrams, "found": overlap.found},
                    ),
                    EvalResult(
                        metric="verbatim_span",
                        score=max(0.0, 1.0 - span / options.max_span),
                        value=span,
                        passed=span < options.max_span,
                        reason=f"longest verbatim run {span} tokens (limit {options.max_span})",
                        details={
                            "start_token": overlap.longest_start if span else None,
                            "tokens": len(tokens),
                        },
                    ),
                ]
            )
        return results
