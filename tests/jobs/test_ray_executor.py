"""The Ray Data executor on a local Ray: same spec, same items, each produced once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from aigc.core.engine import Engine
from aigc.core.jobs.runner import start_run, work
from aigc.core.jobs.specfile import load_spec
from aigc.storage.models import GenerationRow, JobItemRow, RequestRow
from tests.jobs.conftest import DIGITS_SPEC, WriteSpec

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")

from aigc.core.jobs.ray_executor import RayExecutor, RayOptions  # noqa: E402
from tests.storage.factories import read_session  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    yield
    ray.shutdown()


def test_ray_actors_produce_every_item_once(job_engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None
    outcomes = []
    final = work(
        job_engine, loaded.spec, started.run_id, on_item=outcomes.append, executor=RayExecutor(RayOptions())
    )
    assert (final.status, final.done, final.accepted + final.rejected) == ("completed", 6, 6)
    assert sorted(o.outcome for o in outcomes) == sorted(
        ["accepted"] * final.accepted + ["rejected"] * final.rejected
    )
    with read_session(job_engine.store) as session:
        items = session.scalars(sa.select(JobItemRow)).all()
        generations = session.scalar(sa.select(sa.func.count()).select_from(GenerationRow))
        requests = session.scalar(sa.select(sa.func.count()).select_from(RequestRow))
    assert {o.generation_id for o in outcomes} == {i.generation_id for i in items}
    assert requests == generations == 6

    again = start_run(job_engine, loaded)  # a re-run on Ray finds everything stored
    assert again is not None
    work(job_engine, loaded.spec, again.run_id, executor=RayExecutor(RayOptions()))
    with read_session(job_engine.store) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RequestRow)) == 6
