"""Token buckets: per API key, ``rate`` requests per second on average and ``burst`` at once, and
work units likewise; per client address, failed authentications.

One server process keeps its buckets in memory (``LocalRateLimiter``: a dict under a lock). Several
processes sharing a database (``aigc serve --workers N``, or servers behind one balancer with
``--shared-limits``) keep them in the database (``SharedRateLimiter``), so a key's limit holds
across all of them; that costs one write transaction per request, which on SQLite takes its turn
at the single writer lock with the results' own writes.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

from aigc.storage import rate_limits
from aigc.storage.store import Store


class RateLimiter(Protocol):
    """Token buckets keyed by API key id or client address, refilled continuously."""

    def acquire(self, key: int | str, cost: float = 1) -> float:
        """Take ``cost`` tokens (at most ``burst``): 0 when granted, else the seconds until they
        are available (Retry-After)."""
        ...

    def wait_s(self, key: int | str) -> float:
        """The seconds until a token is available (0: now), taking none."""
        ...


class LocalRateLimiter:
    """Buckets in this process's memory."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._buckets: dict[int | str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: int | str, cost: float = 1) -> float:
        return self._take(key, cost, take=True)

    def wait_s(self, key: int | str) -> float:
        return self._take(key, 1, take=False)

    def _take(self, key: int | str, cost: float, take: bool) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost if take else tokens, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self.rate


class SharedRateLimiter:
    """Buckets in the database: every server process sharing it draws from the same buckets."""

    def __init__(self, store: Store, bucket: str, rate_per_s: float, burst: int) -> None:
        self.store = store
        self.bucket = bucket
        self.rate = rate_per_s
        self.burst = burst

    def acquire(self, key: int | str, cost: float = 1) -> float:
        return rate_limits.take_tokens(
            self.store, self.bucket, str(key), self.rate, self.burst, cost, time.time
        )

    def wait_s(self, key: int | str) -> float:
        return rate_limits.wait_for_token(
            self.store, self.bucket, str(key), self.rate, self.burst, time.time()
        )


def rate_limiter(store: Store, bucket: str, rate_per_s: float, burst: int, shared: bool) -> RateLimiter:
    """The ``bucket`` limiter: in the database when ``shared``, else in this process's memory."""
    if shared:
        return SharedRateLimiter(store, bucket, rate_per_s, burst)
    return LocalRateLimiter(rate_per_s, burst)


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for the Retry-After header, at least 1."""
    return str(max(1, math.ceil(wait_s)))
