"""Token buckets: per API key, ``rate`` requests per second on average and ``burst`` at once, and
work units likewise; per client address, failed authentications."""

from __future__ import annotations

import math
import time

from aigc.storage import rate_limits
from aigc.storage.store import Store


class RateLimiter:
    """Token buckets keyed by API key id or client address, refilled continuously; kept in the
    database, so every server process sharing it draws from the same buckets."""

    def __init__(self, store: Store, bucket: str, rate_per_s: float, burst: int) -> None:
        self.store = store
        self.bucket = bucket
        self.rate = rate_per_s
        self.burst = burst

    def acquire(self, key: int | str, cost: float = 1) -> float:
        """Take ``cost`` tokens (at most ``burst``): 0 when granted, else the seconds until they
        are available (Retry-After)."""
        return rate_limits.take_tokens(
            self.store, self.bucket, str(key), self.rate, self.burst, cost, time.time
        )

    def wait_s(self, key: int | str) -> float:
        """The seconds until a token is available (0: now), taking none."""
        return rate_limits.wait_for_token(
            self.store, self.bucket, str(key), self.rate, self.burst, time.time()
        )


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for the Retry-After header, at least 1."""
    return str(max(1, math.ceil(wait_s)))
