"""A compact membership index of a corpus's word n-grams, for memorization checks.

Each n-gram of word tokens (``tokens.words``) is hashed with BLAKE2b (8 bytes) and its top 32
bits kept as a fingerprint. The sorted unique fingerprints are stored split into a 65,536-entry
table of counts per top 16 bits and the low 16 bits of each (2 bytes per n-gram); loading
rebuilds the sorted ``uint32`` array and lookups are ``numpy.searchsorted``. A fingerprint of a
text that is not in the corpus collides with one that is with probability (unique n-grams) / 2³²
(about 0.06% for the 2.6M n-grams of the text-transformer corpus).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aigc.plugins.lib.text_metrics.tokens import ngrams

_BUCKETS = 1 << 16
_SEPARATOR = "\x1f"


def fingerprints(tokens: Sequence[str], n: int) -> np.ndarray:
    """``uint32`` fingerprints of the ``n``-grams of ``tokens``, in order."""
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(_SEPARATOR.join(g).encode(), digest_size=8).digest()[:4], "big")
            for g in ngrams(tokens, n)
        ],
        dtype=np.uint32,
    )


@dataclass(frozen=True)
class Overlap:
    """How much of a text's n-grams occur in the corpus, and its longest run of them."""

    ngrams: int
    found: int
    longest_span: int  # tokens covered by the longest run of consecutive found n-grams (0: none)
    longest_start: int  # token index where that run starts

    @property
    def share(self) -> float:
        return self.found / self.ngrams if self.ngrams else 0.0


class NgramIndex:
    """Sorted n-gram fingerprints of a corpus."""

    def __init__(self, sorted_fingerprints: np.ndarray, n: int) -> None:
        self.fingerprints = sorted_fingerprints
        self.n = n

    @classmethod
    def build(cls, documents: Iterable[Sequence[str]], n: int) -> NgramIndex:
        """The index of the n-grams of tokenised documents (n-grams never cross documents)."""
        parts = [fingerprints(tokens, n) for tokens in documents]
        merged = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        return cls(np.unique(merged), n)

    def save(self, path: Path) -> None:
        """Write the bucket counts and low halves as an uncompressed ``.npz``."""
        counts = np.bincount(self.fingerprints >> 16, minlength=_BUCKETS).astype(np.uint32)
        low = (self.fingerprints & 0xFFFF).astype(np.uint16)
        with path.open("wb") as handle:
            np.savez(handle, n=np.array(self.n), counts=counts, low=low)

    @classmethod
    def load(cls, path: Path) -> NgramIndex:
        """Read an index written by ``save``."""
        with np.load(path) as data:
            counts, low, n = data["counts"], data["low"], int(data["n"])
        high = np.repeat(np.arange(_BUCKETS, dtype=np.uint32), counts) << np.uint32(16)
        return cls(high | low.astype(np.uint32), n)

    def __len__(self) -> int:
        return int(self.fingerprints.size)

    def contains(self, queries: np.ndarray) -> np.ndarray:
        """Boolean array: which fingerprints are in the index."""
        if self.fingerprints.size == 0:
            return np.zeros(queries.shape, bool)
        positions = np.searchsorted(self.fingerprints, queries)
        return self.fingerprints[np.minimum(positions, self.fingerprints.size - 1)] == queries

    def overlap(self, tokens: Sequence[str]) -> Overlap:
        """Found n-grams of ``tokens`` and the longest run of consecutive found ones, in tokens."""
        hits = self.contains(fingerprints(tokens, self.n))
        best = best_start = run = 0
        for i, hit in enumerate(hits):
            run = run + 1 if hit else 0
            if run > best:
                best, best_start = run, i - run + 1
        return Overlap(int(hits.size), int(hits.sum()), best + self.n - 1 if best else 0, best_start)
