"""HTTP rate limiters: one process's buckets in memory, several processes' in their shared database."""

from __future__ import annotations

from aigc.core.http.ratelimit import LocalRateLimiter, SharedRateLimiter, rate_limiter
from aigc.storage.store import Store


def test_one_process_keeps_its_buckets_in_memory(store: Store) -> None:
    first, second = (rate_limiter(store, "requests", 0.001, 2, shared=False) for _ in range(2))
    assert isinstance(first, LocalRateLimiter)
    assert [first.acquire(7) for _ in range(3)][:2] == [0.0, 0.0] and first.acquire(7) > 0
    assert second.acquire(7) == 0.0  # another process's memory: its own burst


def test_shared_limiters_draw_from_one_bucket_in_the_database(store: Store) -> None:
    first, second = (rate_limiter(store, "requests", 0.001, 2, shared=True) for _ in range(2))
    assert isinstance(first, SharedRateLimiter)
    assert first.acquire(7) == 0.0 and second.acquire(7) == 0.0
    assert first.acquire(7) > 0 and second.acquire(7) > 0 and second.wait_s(7) > 0
    assert first.acquire("other key") == 0.0
