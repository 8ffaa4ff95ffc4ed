"""Diversity of generated text: distinct-n over a set, self-BLEU of a set, repetition within a text."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from aigc.plugins.lib.text_metrics.tokens import ngrams

BLEU_ORDER = 4
SMOOTHING_EPSILON = 0.1  # Chen & Cherry (2014) method 1: a zero n-gram match counts as 0.1


def distinct_n(texts: Sequence[Sequence[str]], n: int) -> float | None:
    """Corpus-level distinct-n: unique n-grams / total n-grams over all texts (n-grams never cross
    texts); None when the texts have no n-gram at all."""
    grams = [g for tokens in texts for g in ngrams(tokens, n)]
    return len(set(grams)) / len(grams) if grams else None


def repetition_rate(tokens: Sequence[str], n: int) -> float | None:
    """Share of a text's n-grams that repeat an earlier n-gram of the same text (1 - distinct-n)."""
    grams = ngrams(tokens, n)
    return 1.0 - len(set(grams)) / len(grams) if grams else None


def sentence_bleu(hypothesis: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """BLEU-4 of one token list against references: clipped n-gram precisions (n = 1..4, uniform
    weights, zero matches smoothed to ``SMOOTHING_EPSILON``) and the brevity penalty against the
    reference length closest to the hypothesis length (ties: the shorter)."""
    if not hypothesis or not references:
        return 0.0
    log_precision = 0.0
    for n in range(1, BLEU_ORDER + 1):
        counts = Counter(ngrams(hypothesis, n))
        total = sum(counts.values())
        if total == 0:
            return 0.0
        max_ref: Counter[tuple[str, ...]] = Counter()
        for reference in references:
            max_ref |= Counter(ngrams(reference, n))
        matched = sum(min(count, max_ref[gram]) for gram, count in counts.items())
        log_precision += math.log((matched or SMOOTHING_EPSILON) / total) / BLEU_ORDER
    length = len(hypothesis)
    closest = min((abs(len(r) - length), len(r)) for r in references)[1]
    brevity = 1.0 if length > closest else math.exp(1 - closest / length)
    return brevity * math.exp(log_precision)


def self_bleu(texts: Sequence[Sequence[str]], max_hypotheses: int, seed: int) -> tuple[float | None, int]:
    """Mean BLEU-4 of each text against all the others, and how many texts were scored.

    When there are more than ``max_hypotheses`` texts, that many hypotheses are drawn without
    replacement with ``numpy.random.default_rng(seed)`` (the references stay all the others).
    None when fewer than two texts have tokens.
    """
    usable = [list(t) for t in texts if t]
    if len(usable) < 2:
        return None, 0
    chosen = range(len(usable))
    if len(usable) > max_hypotheses:
        chosen = sorted(np.random.default_rng(seed).choice(len(usable), max_hypotheses, replace=False))
    scores = [sentence_bleu(usable[i], usable[:i] + usable[i + 1 :]) for i in chosen]
    return sum(scores) / len(scores), len(scores)
