"""Eight worker processes on one run: PostgreSQL's SKIP LOCKED claims give each item to exactly one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.jobs.runner import start_run
from aigc.core.jobs.specfile import load_spec
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.storage.models import GenerationRow, JobItemRow, RequestRow
from aigc.storage.store import Store
from tests.jobs.test_crash_recovery import aigc
from tests.postgres import fresh_postgres_database
from tests.storage.factories import read_session

WORKERS = 8
SPEC = """\
name: parallel
generator: image-gan
inputs:
  items: [{label: 0}, {label: 1}, {label: 2}, {label: 3}, {label: 4}, {label: 5}]
n: 8
concurrency: {batch_size: 2, lease_s: 120}
"""


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from fresh_postgres_database()


def test_eight_workers_process_each_item_exactly_once(
    tmp_path: Path, postgres_url: str, registry: PluginRegistry, runtime: ModelRuntime
) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    data_dir = tmp_path / "aigc-data"
    with Engine(
        Settings(data_dir=data_dir, database_url=postgres_url), registry=registry, runtime=runtime
    ) as engine:
        started = start_run(engine, load_spec(spec))
        assert started is not None
    workers = [aigc(data_dir, postgres_url, "jobs", "run", str(spec), "--no-outputs") for _ in range(WORKERS)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=400)
        assert worker.returncode == 0, stderr.decode()

    with Store(postgres_url, str(data_dir / "blobs")) as store, read_session(store) as session:
        items = session.scalars(sa.select(JobItemRow)).all()
        requests = session.scalar(sa.select(sa.func.count()).select_from(RequestRow))
        generations = session.scalar(sa.select(sa.func.count()).select_from(GenerationRow))
    assert len(items) == 6 * 8 and {i.run_id for i in items} == {started.run_id}
    assert {(i.status, i.attempts) for i in items} == {("done", 1)}  # claimed once, never retried
    assert requests == generations == len(items)  # generated once: no work thrown away on a conflict
    assert len({i.lease_owner for i in items}) > 1  # the workers shared the run
