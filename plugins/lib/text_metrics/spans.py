"""A matched stretch of text, as the safety detectors report it and redaction replaces it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """Characters ``start:end`` of a text matched by the detector ``kind`` (``email``, ``profanity``...)."""

    start: int
    end: int
    kind: str

    def as_json(self) -> dict[str, int | str]:
        return {"start": self.start, "end": self.end, "kind": self.kind}


def without_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Spans in order, dropping any that overlaps one kept before it (earlier and longer win)."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def redact(text: str, spans: Sequence[Span]) -> str:
    """``text`` with each span replaced by ``[KIND]``."""
    parts, position = [], 0
    for span in without_overlaps(spans):
        parts += [text[position : span.start], f"[{span.kind.upper()}]"]
        position = span.end
    return "".join([*parts, text[position:]])
