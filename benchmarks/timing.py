"""Timing helpers the benchmark scripts share (imported by name: the scripts' folder is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def calls_per_repetition(call: Callable[[], object], min_seconds: float, warmup_calls: int) -> int:
    """Warm up with ``warmup_calls`` calls, then double the call count until a repetition of that
    many calls takes at least ``min_seconds``; returns that count."""
    for _ in range(warmup_calls):
        call()
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            call()
        if time.perf_counter() - started >= min_seconds:
            return calls
        calls *= 2
