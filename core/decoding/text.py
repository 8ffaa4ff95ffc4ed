"""Token ids to text while decoding: streaming deltas and stop strings.

``TextStream`` follows one row. Its ``decode`` callable turns a list of output token ids into
text (e.g. ``tokenizers.Tokenizer.decode``); the row's text is re-decoded from its output ids
on every token, which is exact for byte-level BPE (decoding concatenates bytes) and cheap at
these lengths. Text is released as a *delta* only when it is final:

- not while it ends in an incomplete UTF-8 sequence (decoded as U+FFFD);
- not while its end could be the beginning of a stop string (that part is held back until the
  next tokens decide it).

A matched stop string ends the row; the text is cut before it (the stop string is not part of
the output). So the concatenated deltas always equal the final ``text``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

REPLACEMENT = "\ufffd"


def held_back(text: str, stops: Sequence[str]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of some stop string."""
    longest = max((len(s) for s in stops), default=0)
    for length in range(min(longest - 1, len(text)), 0, -1):
        suffix = text[-length:]
        if any(stop.startswith(suffix) for stop in stops):
            return length
    return 0


class TextStream:
    """Incremental text of one row, with stop strings and streaming deltas."""

    def __init__(self, decode: Callable[[list[int]], str], stops: Sequence[str] = ()) -> None:
        self._decode = decode
        self.stops = tuple(s for s in stops if s)
        self.token_ids: list[int] = []
        self.text = ""
        self.emitted = 0
        self.stopped = False

    def add(self, token_id: int) -> str:
        """Add one output token; returns the new final text (possibly empty). Sets ``stopped`` on a match."""
        if self.stopped:
            return ""
        self.token_ids.append(token_id)
        previous = len(self.text)
        self.text = self._decode(self.token_ids)
        if self.stops:
            # A new match can only end in the new text: search from where it could start.
            start = max(0, previous - max(len(s) for s in self.stops) + 1)
            hits = [i for i in (self.text.find(s, start) for s in self.stops) if i >= 0]
            if hits:
                self.text = self.text[: min(hits)]
                self.stopped = True
                return self._release(len(self.text))
        end = len(self.text)
        while end > self.emitted and self.text[end - 1] == REPLACEMENT:
            end -= 1  # an incomplete character: wait for its remaining bytes
        end -= held_back(self.text[:end], self.stops)
        return self._release(end)

    def close(self) -> str:
        """The row has finished: release whatever is left."""
        return self._release(len(self.text))

    def _release(self, end: int) -> str:
        if end <= self.emitted:
            return ""
        delta = self.text[self.emitted : end]
        self.emitted = end
        return delta
