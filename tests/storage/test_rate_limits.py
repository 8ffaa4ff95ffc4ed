"""Token buckets in the database: one statement decides and takes, so concurrent takers share them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from aigc.storage.rate_limits import forget_full_buckets, take_tokens, wait_for_token
from aigc.storage.store import Store

NOW = 1_800_000_000.0


def at_start() -> float:
    return NOW


def test_a_bucket_grants_its_burst_then_says_how_long_to_wait(store: Store) -> None:
    grants = [
        take_tokens(store, "requests", "7", rate=0.5, burst=3, cost=1, clock=at_start) for _ in range(4)
    ]
    assert grants[:3] == [0.0, 0.0, 0.0]
    assert grants[3] == pytest.approx(2.0)  # one token refills in 1 / 0.5 s


def test_a_bucket_refills_at_its_rate(store: Store) -> None:
    for _ in range(3):
        take_tokens(store, "requests", "7", rate=0.5, burst=3, cost=1, clock=at_start)
    assert take_tokens(
        store, "requests", "7", rate=0.5, burst=3, cost=1, clock=lambda: NOW + 1
    ) == pytest.approx(1.0)
    assert take_tokens(store, "requests", "7", rate=0.5, burst=3, cost=1, clock=lambda: NOW + 2) == 0.0
    assert take_tokens(store, "requests", "7", rate=0.5, burst=3, cost=1, clock=lambda: NOW + 2) > 0


def test_a_refused_cost_takes_nothing(store: Store) -> None:
    assert take_tokens(store, "work", "1", rate=1, burst=100, cost=80, clock=at_start) == 0.0
    assert take_tokens(store, "work", "1", rate=1, burst=100, cost=40, clock=at_start) == pytest.approx(20.0)
    assert take_tokens(store, "work", "1", rate=1, burst=100, cost=20, clock=at_start) == 0.0


def test_buckets_are_per_bucket_and_key(store: Store) -> None:
    assert take_tokens(store, "requests", "1", rate=1, burst=1, cost=1, clock=at_start) == 0.0
    assert take_tokens(store, "requests", "2", rate=1, burst=1, cost=1, clock=at_start) == 0.0
    assert take_tokens(store, "auth-failures", "1", rate=1, burst=1, cost=1, clock=at_start) == 0.0
    assert take_tokens(store, "requests", "1", rate=1, burst=1, cost=1, clock=at_start) > 0


def test_waiting_for_a_token_takes_none(store: Store) -> None:
    assert wait_for_token(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, now=NOW) == 0.0
    take_tokens(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, cost=1, clock=at_start)
    assert wait_for_token(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, now=NOW) == 0.0
    take_tokens(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, cost=1, clock=at_start)
    assert wait_for_token(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, now=NOW) == pytest.approx(
        10.0
    )
    assert wait_for_token(store, "auth-failures", "10.0.0.1", rate=0.1, burst=2, now=NOW) == pytest.approx(
        10.0
    )


def test_concurrent_takers_share_one_bucket(store: Store) -> None:
    def take(_: int) -> float:
        return take_tokens(store, "requests", "1", rate=0.001, burst=10, cost=1, clock=at_start)

    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(take, range(40)))
    assert waits.count(0.0) == 10


def test_full_buckets_are_forgotten(store: Store) -> None:
    take_tokens(store, "requests", "1", rate=1, burst=5, cost=1, clock=at_start)
    take_tokens(store, "requests", "2", rate=1, burst=5, cost=5, clock=at_start)
    assert forget_full_buckets(store, now=NOW + 1) == 1
    assert take_tokens(store, "requests", "2", rate=1, burst=5, cost=5, clock=lambda: NOW + 1) > 0
