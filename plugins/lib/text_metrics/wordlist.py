"""Matching words and phrases from a list in text, through simple obfuscations.

Text and list entries are normalised the same way before comparing:

- lowercase, with leetspeak digits and symbols read as letters (``0→o 1→i 3→e 4→a 5→s 7→t 8→b
  9→g @→a $→s +→t``);
- letters separated by single separators (``f.u.c.k``, ``s-h-i-t``, ``b i t c h``: three or more
  one-letter pieces) are joined into one word;
- a word also matches when its letter runs are cut to two (``assss`` → ``ass``) or to one
  (``fuuuck`` → ``fuck``).

An entry of several words matches those words in sequence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aigc.plugins.lib.text_metrics.spans import Span

_LEET = str.maketrans("013457889@$+", "oieastbbgast")
_SEPARATOR = re.compile(r"[\s.\-_*|/\\]")
_RUNS_TO_TWO = re.compile(r"(.)\1{2,}")
_RUNS_TO_ONE = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class _Word:
    form: str
    start: int
    end: int


def _raw_words(text: str) -> Iterator[_Word]:
    """Runs of letters, digits and leet symbols, merging adjacent pieces (``sh!t`` is one word)."""
    current: _Word | None = None
    for match in re.finditer(r"[^\W_]+|[@$+!]+", text):
        piece = _Word(match.group().lower(), match.start(), match.end())
        if current is not None and current.end == piece.start:
            current = _Word(current.form + piece.form, current.start, piece.end)
        else:
            if current is not None:
                yield current
            current = piece
    if current is not None:
        yield current


def _join_spelled_out(words: list[_Word], text: str) -> list[_Word]:
    """Merge three or more one-letter words separated by one separator character each."""
    merged: list[_Word] = []
    i = 0
    while i < len(words):
        j = i
        while (
            j + 1 < len(words)
            and len(words[j].form) == 1
            and len(words[j + 1].form) == 1
            and words[j + 1].start - words[j].end == 1
            and _SEPARATOR.fullmatch(text[words[j].end])
        ):
            j += 1
        if j - i >= 2:
            form = "".join(w.form for w in words[i : j + 1])
            merged.append(_Word(form, words[i].start, words[j].end))
            i = j + 1
        else:
            merged.append(words[i])
            i += 1
    return merged


def normalised_words(text: str) -> list[_Word]:
    """The words of ``text`` after the normalisation described in the module docstring."""
    words = []
    for word in _join_spelled_out(list(_raw_words(text)), text):
        inner = word.form.strip("!")  # "!" reads as "i" inside a word only (sh!t, but hell!)
        if inner:
            start = word.start + len(word.form) - len(word.form.lstrip("!"))
            end = word.end - (len(word.form) - len(word.form.rstrip("!")))
            words.append(_Word(inner.translate(_LEET).replace("!", "i"), start, end))
    return words


def _forms(word: str) -> set[str]:
    return {word, _RUNS_TO_TWO.sub(r"\1\1", word), _RUNS_TO_ONE.sub(r"\1", word)}


class WordList:
    """A list of words and phrases to find in text; ``find`` returns their spans as ``kind``."""

    def __init__(self, entries: Iterable[str], kind: str) -> None:
        self.kind = kind
        self._phrases: dict[str, set[tuple[str, ...]]] = {}
        for entry in entries:
            forms = tuple(w.form for w in normalised_words(entry))
            if forms:
                self._phrases.setdefault(forms[0], set()).add(forms[1:])

    def __len__(self) -> int:
        return sum(len(rests) for rests in self._phrases.values())

    def find(self, text: str) -> list[Span]:
        """Spans of ``text`` matching an entry (longest entry first at each word)."""
        words = normalised_words(text)
        spans = []
        for i, word in enumerate(words):
            for form in _forms(word.form):
                rests = self._phrases.get(form, set())
                matches = [r for r in rests if tuple(w.form for w in words[i + 1 : i + 1 + len(r)]) == r]
                if matches:
                    last = words[i + max(len(r) for r in matches)]
                    spans.append(Span(word.start, last.end, self.kind))
                    break
        return spans
