"""Requests stored together share one blob batch and one transaction, and each keeps its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from aigc.core.errors import DuplicateKeyError
from aigc.core.schemas import EvalResult, GenerationResult
from aigc.storage import blobs as blobs_module
from aigc.storage.group_commit import GroupCommit
from aigc.storage.records import NewEvaluation
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request, row_counts


@contextmanager
def counted_commits(store: Store) -> Iterator[list[int]]:
    commits: list[int] = []

    def count(connection: object) -> None:
        commits.append(1)

    sa.event.listen(store.engine, "commit", count)
    try:
        yield commits
    finally:
        sa.event.remove(store.engine, "commit", count)


def blobs_of(result: GenerationResult, store: Store) -> list[bytes]:
    return [store.read_artifact(a.id) for g in result.generations for a in g.artifacts]


def test_requests_saved_together_are_one_transaction(store: Store) -> None:
    requests = [new_request(2, seed=seed) for seed in (10, 20, 30)]
    with counted_commits(store) as commits:
        results = store.save_many(requests)
    assert len(commits) == 1
    assert all(isinstance(r, GenerationResult) for r in results)
    assert store.count_requests() == 3
    assert [store.get_request(r.request_id) for r in results if isinstance(r, GenerationResult)] == results


def test_a_taken_key_fails_only_its_own_request(store: Store) -> None:
    store.save(new_request(generations=[new_generation(0, idempotency_key="item-1")]))
    before = row_counts(store)
    first, clash, last = store.save_many(
        [
            new_request(generations=[new_generation(0, seed=10, idempotency_key="item-2")]),
            new_request(generations=[new_generation(0, seed=20, idempotency_key="item-1")]),  # taken
            new_request(generations=[new_generation(0, seed=30, idempotency_key="item-3")]),
        ]
    )
    assert isinstance(clash, DuplicateKeyError) and "item-1" in str(clash)
    assert isinstance(first, GenerationResult) and isinstance(last, GenerationResult)
    assert store.count_generations() == 3
    assert row_counts(store)["requests"] == before["requests"] + 2
    for result in (first, last):
        assert len(blobs_of(result, store)) == 1  # every stored row has its bytes


def test_the_same_key_twice_in_one_batch_stores_it_once(store: Store) -> None:
    first, second = store.save_many(
        [
            new_request(generations=[new_generation(0, seed=10, idempotency_key="item")]),
            new_request(generations=[new_generation(0, seed=20, idempotency_key="item")]),
        ]
    )
    assert isinstance(first, GenerationResult)
    assert isinstance(second, DuplicateKeyError)
    assert store.generation_ids_by_key(["item"]) == {"item": first.generations[0].id}


def test_an_invalid_request_fails_alone_and_writes_no_blob(store: Store) -> None:
    stray = NewEvaluation("x", "1", EvalResult(metric="m", score=0.5), artifact_index=3)
    bad = new_request(generations=[new_generation(0, seed=99, evaluations=[stray])])
    good, refused = store.save_many([new_request(1, seed=10), bad])
    assert isinstance(good, GenerationResult)
    assert isinstance(refused, ValueError) and "artifact_index 3" in str(refused)
    assert list(store.blobs.iter_hashes()) == [good.generations[0].artifacts[0].sha256]


def test_no_row_is_committed_when_the_blobs_cannot_be_made_durable(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(paths: list[Path]) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(blobs_module, "_make_durable", failing)
    with pytest.raises(OSError, match="I/O error"):
        store.save_many([new_request(2, seed=10), new_request(2, seed=20)])
    assert store.count_requests() == 0
    assert list(store.blobs.iter_hashes()) == []  # nor a blob under its final name


def test_concurrent_saves_share_commits_and_each_gets_its_own_result(
    data_dir: Path, database_url: str
) -> None:
    with Store(database_url, str(data_dir / "blobs"), group_commit_ms=200) as store:
        requests = [
            new_request(generations=[new_generation(0, seed=seed * 10, idempotency_key=f"item-{seed % 6}")])
            for seed in range(8)
        ]
        with counted_commits(store) as commits, ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(store.save, request) for request in requests]
            outcomes = [f.exception() or f.result() for f in futures]
        assert len(commits) < len(requests)
        for request, outcome in zip(requests, outcomes, strict=True):
            key = request.generations[0].idempotency_key
            if isinstance(outcome, GenerationResult):
                assert outcome.generations[0].seed == request.generations[0].seed
                assert store.generation_ids_by_key([key]) == {key: outcome.generations[0].id}
            else:
                assert isinstance(outcome, DuplicateKeyError) and repr(key) in str(outcome)
        assert sum(isinstance(o, GenerationResult) for o in outcomes) == 6


def test_group_commit_hands_each_caller_its_own_outcome() -> None:
    batches: list[list[int]] = []

    def commit(items: list[int]) -> list[int | Exception]:
        batches.append(items)
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]

    group: GroupCommit[int, int] = GroupCommit(commit, window_s=0.2, max_batch=5)
    start = threading.Barrier(10)

    def call(item: int) -> int | str:
        start.wait()
        try:
            return group.submit(item)
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(call, range(10)))
    assert outcomes == [f"odd {i}" if i % 2 else i * 10 for i in range(10)]
    assert sorted(i for batch in batches for i in batch) == list(range(10))
    assert max(len(batch) for batch in batches) <= 5
    assert len(batches) < 10


def test_a_failed_commit_fails_every_caller_of_its_batch_and_the_next_batch_runs() -> None:
    calls = []

    def commit(items: list[str]) -> list[str]:
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return [item.upper() for item in items]

    group: GroupCommit[str, str] = GroupCommit(commit)
    with pytest.raises(RuntimeError, match="went away"):
        group.submit("a")
    assert group.submit("b") == "B"


def test_a_lone_caller_does_not_wait_without_a_window() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda items: items, window_s=0.0)
    assert [group.submit(i) for i in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("window_s", [-0.001, 1.5])
def test_group_commit_window_is_checked(window_s: float) -> None:
    with pytest.raises(ValueError, match=r"window_s must be between 0 and 1\.0"):
        GroupCommit(lambda items: items, window_s=window_s)
