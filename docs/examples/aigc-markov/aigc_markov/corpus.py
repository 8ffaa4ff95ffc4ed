"""The training text, the Zen of Python (``import this``: in every Python, offline), and its bigrams."""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools

import numpy as np

START = "<s>"  # begins every line; choosing it again ends the line
UNSEEN = -30.0  # log-probability of a pair never seen: exp(-30) is never drawn in practice


def zen_lines() -> list[str]:
    """The 19 aphorisms, one per line."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    text = codecs.decode(this.s, "rot13")
    return [line for line in text.splitlines()[2:] if line.strip()]


def words(line: str) -> list[str]:
    """A line's words as the chain sees them: whitespace-separated, punctuation kept."""
    return line.split()


def vocabulary(lines: list[str]) -> list[str]:
    """``<s>`` and every word, in order of first appearance."""
    seen = {START: None}
    for line in lines:
        seen.update(dict.fromkeys(words(line)))
    return list(seen)


def transition_log_probs(lines: list[str], vocab: list[str]) -> np.ndarray:
    """``(vocab, vocab)``: log-probability of each next word; a line ends by going back to ``<s>``
    (numpy only, so the tests check the exported graph without torch)."""
    ids = {word: i for i, word in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for line in lines:
        sequence = [ids[START], *(ids[w] for w in words(line)), ids[START]]
        for before, after in itertools.pairwise(sequence):
            counts[before, after] += 1
    probs = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.where(counts > 0, np.log(probs), UNSEEN).astype(np.float32)
