"""Melodic n-gram index of the training chorales and the longest run a piece shares with it (numpy only).

Each voice becomes a sequence of codes, one per note after its first: the interval from the
previous note (semitones, so transpositions match) and the note's length in eighth notes.
``index.npz`` holds the codes of every voice of every training chorale, concatenated, with the
chorale and voice of each code. The longest shared run is found by binary search on its length
with rolling hashes of all windows (a window never spans two voices); a hash hit is confirmed by
comparing the codes, so the answer is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from aigc.core.sdk import Note

INDEX_FILE = "index.npz"
EIGHTHS_PER_BEAT = 2
MAX_INTERVAL, MAX_EIGHTHS = 63, 63
BASE = 1_000_003
MASK = (1 << 64) - 1


def voice_codes(notes: Sequence[Note], voice: int) -> np.ndarray:
    """(interval, length) codes of one voice's notes in start order."""
    line = sorted((n for n in notes if n.voice == voice), key=lambda n: n.start)
    codes = []
    for previous, note in pairwise(line):
        interval = max(-MAX_INTERVAL, min(MAX_INTERVAL, note.pitch - previous.pitch))
        eighths = max(1, min(MAX_EIGHTHS, round((note.end - note.start) * EIGHTHS_PER_BEAT)))
        codes.append((interval + MAX_INTERVAL + 1) * (MAX_EIGHTHS + 1) + eighths)
    return np.asarray(codes, dtype=np.int64)


def prefix_hashes(codes: np.ndarray) -> np.ndarray:
    """``h[i]`` = polynomial hash of ``codes[:i]`` modulo 2**64."""
    hashes = [0]
    for code in codes.tolist():
        hashes.append((hashes[-1] * BASE + code) & MASK)
    return np.asarray(hashes, dtype=np.uint64)


def window_hashes(prefix: np.ndarray, length: int) -> np.ndarray:
    """Hashes of every window of ``length`` codes, from the prefix hashes."""
    power = np.uint64(pow(BASE, length, 1 << 64))
    return prefix[length:] - prefix[:-length] * power  # uint64 arithmetic wraps modulo 2**64


@dataclass(frozen=True)
class SharedRun:
    """The longest run of codes shared with the index: its length in notes and where it is found."""

    length: int
    chorale: str | None = None
    voice: int | None = None


class MelodyIndex:
    """The codes of the training chorales, ready for ``longest_shared_run``."""

    def __init__(self, codes: np.ndarray, chorale_ids: np.ndarray, voices: np.ndarray, names: Sequence[str]):
        self.codes, self.chorale_ids, self.voices, self.names = codes, chorale_ids, voices, list(names)
        self.prefix = prefix_hashes(codes)
        self.sequence_ids = chorale_ids * 8 + voices  # a window must stay inside one voice of one chorale

    @classmethod
    def load(cls, path: Path) -> MelodyIndex:
        """Read an ``index.npz`` written by ``save``."""
        data = np.load(path)
        return cls(data["codes"], data["chorale_ids"], data["voices"], [str(n) for n in data["names"]])

    def save(self, path: Path) -> None:
        """Write the index as a compressed ``.npz`` (deterministic content)."""
        np.savez_compressed(
            path,
            codes=self.codes.astype(np.int16),
            chorale_ids=self.chorale_ids.astype(np.int16),
            voices=self.voices.astype(np.int8),
            names=np.asarray(self.names),
        )

    def _match(self, query: np.ndarray, length: int) -> int | None:
        """Start in the index of a window equal to some ``length``-window of ``query``, or None."""
        if length > len(query) or length > len(self.codes):
            return None
        valid = self.sequence_ids[: len(self.codes) - length + 1] == self.sequence_ids[length - 1 :]
        starts = np.flatnonzero(valid)
        hashes = window_hashes(self.prefix, length)[starts]
        query_hashes = window_hashes(prefix_hashes(query), length)
        for position in np.flatnonzero(np.isin(hashes, query_hashes)).tolist():
            start = int(starts[position])
            window = self.codes[start : start + length]
            for offset in np.flatnonzero(query_hashes == hashes[position]).tolist():
                if np.array_equal(query[offset : offset + length], window):
                    return start
        return None

    def longest_shared_run(self, query: np.ndarray) -> SharedRun:
        """The longest run of consecutive codes of ``query`` that also occurs in the index."""
        low, high, found = 0, len(query), None
        while low < high:
            middle = (low + high + 1) // 2
            start = self._match(query, middle)
            if start is None:
                high = middle - 1
            else:
                low, found = middle, start
        if found is None:
            return SharedRun(0)
        return SharedRun(low, self.names[int(self.chorale_ids[found])], int(self.voices[found]))
