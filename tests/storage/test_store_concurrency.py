"""Two processes sharing one fresh SQLite file: both migrate, both write, nobody sees 'database is locked'."""

from __future__ import annotations

import multiprocessing
import traceback
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from aigc.core.runtime import LoadedModel
from aigc.core.schemas import FeedbackInput
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request, row_counts

SAVES_PER_PROCESS = 20


def save_many(data_dir: str, worker: int, start: Barrier, results: Any) -> None:
    """Open the store (racing the other process to migrate it), then save, read and upsert."""
    try:
        start.wait(timeout=60)
        with Store.open(Path(data_dir)) as store:
            model = LoadedModel(
                "shared", "1", "m.onnx", Path("m.onnx"), "ee" * 32, 17, (f"Provider{worker}",)
            )
            request_ids = []
            for i in range(SAVES_PER_PROCESS):
                seed = worker * 1000 + i * 10
                request = new_request(
                    generations=[
                        new_generation(0, seed=seed, idempotency_key=f"w{worker}/{i}/0"),
                        new_generation(1, seed=seed, idempotency_key=f"w{worker}/{i}/1"),
                    ],
                    seed=seed,
                )
                result = store.save(request)
                store.add_feedback(FeedbackInput(artifact_id=result.generations[0].artifacts[0].id, rating=1))
                store.record_models([model])
                store.list_generations(limit=5)
                request_ids.append(result.request_id)
        results.put(("ok", worker, request_ids))
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))


def test_two_processes_save_concurrently_to_one_sqlite_file(data_dir: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=save_many, args=(str(data_dir), worker, start, results)) for worker in (1, 2)
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=30)
    errors = [detail for status, _, detail in outcomes if status != "ok"]
    assert errors == []
    saved_ids = sorted(i for _, _, ids in outcomes for i in ids)
    with Store.open(data_dir) as store:
        assert saved_ids == list(range(1, 2 * SAVES_PER_PROCESS + 1))
        counts = row_counts(store)
        assert counts["requests"] == 2 * SAVES_PER_PROCESS
        assert counts["generations"] == counts["artifacts"] == 4 * SAVES_PER_PROCESS
        assert counts["feedback"] == 2 * SAVES_PER_PROCESS
        [model] = store.list_models()
        assert sorted(model.providers) == ["Provider1", "Provider2"]
        for request_id in saved_ids:
            for generation in store.get_request(request_id).generations:
                store.read_artifact(generation.artifacts[0].id)


def test_threads_share_one_store(store: Store) -> None:
    def save_and_read(worker: int) -> int:
        result = store.save(new_request(2, seed=worker * 100))
        return len(store.get_request(result.request_id).generations)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(save_and_read, range(12))) == [2] * 12
    assert store.count_generations() == 24
