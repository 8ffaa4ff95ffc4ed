"""The one word tokenisation every text measure uses, so that their numbers are comparable.

A token is a maximal run of Unicode letters, digits or underscores, with inner apostrophes kept
(``don't``), lowercased after NFKC normalisation; punctuation and whitespace separate tokens and
are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_WORD = re.compile(r"\w+(?:'\w+)*")


def words(text: str) -> list[str]:
    """The lowercased word tokens of ``text``."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The ``n``-grams of ``tokens`` in order (none when there are fewer than ``n`` tokens)."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
