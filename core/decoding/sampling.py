"""Next-token selection on a batch of logits, vectorised in numpy.

Order of operations for each row (as in Hugging Face ``generate``):

1. **repetition penalty** (CTRL, Keskar et al. 2019): for every token already in the row
   (prompt or output), a positive logit is divided by ``repetition_penalty`` and a negative one
   multiplied by it, so ``penalty > 1`` always makes repeats less likely; then the **presence and
   frequency penalties** (OpenAI's definition, applied to output tokens as vLLM does): a token
   generated ``c > 0`` times so far loses ``presence_penalty + c * frequency_penalty`` from its logit;
2. **greedy**: with ``temperature == 0`` the token is the argmax (ties: lowest id) and the
   remaining steps are skipped;
3. **temperature**: logits are divided by ``temperature``;
4. **top-k**: only the ``top_k`` largest logits stay candidates (``0`` = all; a tie at the
   k-th place is broken by ``argpartition``, deterministically for given logits);
5. **top-p** (nucleus): candidates sorted by probability, the smallest prefix whose probability
   reaches ``top_p`` is kept, and always at least the most likely token;
6. **draw** one token from the renormalised candidates with the row's own
   ``numpy.random.Generator``, so a row's output never depends on its batch-mates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NEG_INF = np.float32(-np.inf)


@dataclass(frozen=True)
class SamplingParams:
    """How the next token is chosen; see the module docstring for the order of operations."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logprobs: int | None = None  # report each output token's log-probability and this many alternatives

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 = no limit), got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    @property
    def counts_output(self) -> bool:
        """Whether the presence or frequency penalty needs each row's output token counts."""
        return self.presence_penalty != 0 or self.frequency_penalty != 0


def apply_repetition_penalty(logits: np.ndarray, seen: np.ndarray, penalty: float) -> np.ndarray:
    """CTRL penalty on tokens marked in ``seen`` (bool, same shape).

    Positive logits are divided by ``penalty``, negative ones multiplied by it.
    """
    if penalty == 1.0:
        return logits
    penalised = np.where(logits > 0, logits / penalty, logits * penalty)
    return np.where(seen, penalised, logits).astype(np.float32, copy=False)


def apply_presence_frequency(
    logits: np.ndarray, counts: np.ndarray, presence: float, frequency: float
) -> np.ndarray:
    """OpenAI's penalties: ``logits - presence * (counts > 0) - frequency * counts`` (``counts``:
    how often each token was generated so far, same shape)."""
    penalty = presence * (counts > 0) + frequency * counts
    return (logits - penalty).astype(np.float32, copy=False)


def top_k_filter(logits: np.ndarray, k: int) -> np.ndarray:
    """Set every logit below each row's ``k``-th largest to ``-inf`` (ties at the boundary all stay;
    ``k == 0`` or ``k >= vocab``: unchanged). ``select_tokens`` uses an equivalent faster path."""
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = np.partition(logits, -k, axis=-1)[:, -k, None]
    return np.where(logits < kth, NEG_INF, logits)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (``-inf`` logits get probability 0)."""
    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    probs: np.ndarray = weights / weights.sum(axis=-1, keepdims=True)
    return probs


def top_p_filter(logits: np.ndarray, p: float) -> np.ndarray:
    """Keep each row's smallest set of most likely tokens whose probability reaches ``p`` (at least one)."""
    if p >= 1.0:
        return logits
    order = np.argsort(-logits, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(softmax(logits), order, axis=-1)
    before = np.cumsum(sorted_probs, axis=-1) - sorted_probs  # probability of the tokens ranked above
    drop_sorted = before >= p
    drop_sorted[:, 0] = False
    drop = np.empty_like(drop_sorted)
    np.put_along_axis(drop, order, drop_sorted, axis=-1)
    return np.where(drop, NEG_INF, logits)


@dataclass(frozen=True)
class TokenLogprob:
    """An output token's log-probability under the model (its raw logits, before any penalty or
    temperature), and the most likely tokens at that step with theirs."""

    token_id: int
    logprob: float
    top: tuple[tuple[int, float], ...]


def token_logprob(logits: np.ndarray, token: int, top: int) -> TokenLogprob:
    """``TokenLogprob`` of ``token`` from one row of raw ``logits`` ``(vocab,)``; ``top`` alternatives
    (most likely first, ties by lower id)."""
    shifted = logits.astype(np.float64) - float(logits.max())
    log_probs = shifted - np.log(np.exp(shifted).sum())
    best = np.argsort(-log_probs, kind="stable")[:top] if top else np.zeros(0, dtype=np.int64)
    return TokenLogprob(token, float(log_probs[token]), tuple((int(i), float(log_probs[i])) for i in best))


def draw(probs: np.ndarray, rngs: Sequence[np.random.Generator]) -> np.ndarray:
    """One token id per row from ``probs`` (rows sum to 1), each row with its own generator."""
    uniforms = np.array([rng.random() for rng in rngs])[:, None]
    cdf = np.cumsum(probs, axis=-1)
    cdf /= cdf[:, -1:]
    tokens: np.ndarray = np.minimum((cdf <= uniforms).sum(axis=-1), probs.shape[-1] - 1).astype(np.int64)
    return tokens


def select_tokens(
    logits: np.ndarray,
    params: SamplingParams,
    rngs: Sequence[np.random.Generator],
    seen: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """The next token of each row of ``logits`` ``(batch, vocab)``; ``seen`` marks earlier tokens
    (for the repetition penalty), ``counts`` counts output tokens (for presence and frequency)."""
    logits = np.asarray(logits, dtype=np.float32)
    if seen is not None:
        logits = apply_repetition_penalty(logits, seen, params.repetition_penalty)
    if counts is not None:
        logits = apply_presence_frequency(logits, counts, params.presence_penalty, params.frequency_penalty)
    if params.greedy:
        return np.asarray(logits.argmax(axis=-1), dtype=np.int64)
    logits = logits / np.float32(params.temperature)
    vocab = logits.shape[-1]
    if 0 < params.top_k < vocab:
        # Work on the k candidates only: sorting them is far cheaper than sorting the vocabulary.
        candidates = np.sort(np.argpartition(-logits, params.top_k - 1, axis=-1)[:, : params.top_k], axis=-1)
        kept = np.take_along_axis(logits, candidates, axis=-1)
        order = np.argsort(-kept, axis=-1, kind="stable")  # canonical: by logit, then by id
        candidates = np.take_along_axis(candidates, order, axis=-1)
        kept = top_p_filter(np.take_along_axis(kept, order, axis=-1), params.top_p)
        choice = draw(softmax(kept), rngs)
        return np.take_along_axis(candidates, choice[:, None], axis=-1)[:, 0]
    return draw(softmax(top_p_filter(logits, params.top_p)), rngs)


__all__ = [
    "SamplingParams",
    "TokenLogprob",
    "apply_presence_frequency",
    "apply_repetition_penalty",
    "draw",
    "select_tokens",
    "softmax",
    "token_logprob",
    "top_k_filter",
    "top_p_filter",
]
