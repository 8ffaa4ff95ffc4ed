"""Token buckets: per API key, ``rate`` requests per second on average and ``burst`` at once, and
work units likewise; per client address, failed authentications."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """Token buckets keyed by API key id or client address, refilled continuously; kept in this
    process's memory."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._buckets: dict[int | str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: int | str, cost: float = 1) -> float:
        """Take ``cost`` tokens (at most ``burst``): 0 when granted, else the seconds until they
        are available (Retry-After)."""
        return self._take(key, cost, take=True)

    def wait_s(self, key: int | str) -> float:
        """The seconds until a token is available (0: now), taking none."""
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


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for the Retry-After header, at least 1."""
    return str(max(1, math.ceil(wait_s)))
