"""Step progress that a generator reports and whoever runs the engine may show.

A plugin calls ``report_progress(done, total)`` inside a long call (a diffusion step, a decoded
token batch); the CLI listens with ``listening(callback)`` around ``Engine.generate`` and draws a
bar. With no listener a report costs one context-variable lookup. The listener is kept in a
``ContextVar``, and plugin calls run in a copy of the caller's context, so reports from the
engine's plugin threads reach the caller that asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ProgressListener = Callable[[int, int], None]
"""Called with ``(done, total)`` steps of the current generator call."""

_listener: ContextVar[ProgressListener | None] = ContextVar("aigc_progress_listener", default=None)


def report_progress(done: int, total: int) -> None:
    """Tell whoever listens that ``done`` of ``total`` steps of the current call are finished."""
    listener = _listener.get()
    if listener is not None:
        listener(done, total)


@contextmanager
def listening(listener: ProgressListener) -> Iterator[None]:
    """Send the step reports of every plugin call made inside the block to ``listener``."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
