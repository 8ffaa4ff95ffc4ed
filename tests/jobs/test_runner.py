"""Running jobs: every item produced once, re-runs skip what is stored, leases expire, runs cancel."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import sqlalchemy as sa

from aigc.core.engine import Engine
from aigc.core.jobs.exporter import export_run
from aigc.core.jobs.planner import item_request
from aigc.core.jobs.runner import start_run, work
from aigc.core.jobs.specfile import load_spec
from aigc.storage import leases, runs
from aigc.storage.models import GenerationRow, JobItemRow, RequestRow
from aigc.storage.records import JobItemLink
from tests.core.plugin_doubles import DoublesPlugin
from tests.jobs.conftest import DIGITS_SPEC, WriteSpec
from tests.storage.factories import read_session


def count(engine: Engine, table: type) -> int:
    with read_session(engine.store) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def test_a_run_produces_every_item_once_and_a_rerun_generates_nothing(
    job_engine: Engine, write_spec: WriteSpec
) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None and not started.resumed
    final = work(job_engine, loaded.spec, started.run_id)
    assert (final.status, final.total, final.done, final.accepted + final.rejected) == ("completed", 6, 6, 6)
    assert count(job_engine, GenerationRow) == count(job_engine, RequestRow) == 6

    again = start_run(job_engine, loaded)
    assert again is not None and again.run_id != started.run_id
    rerun = runs.progress(job_engine.store, again.run_id)
    assert (rerun.total, rerun.done) == (6, 6)  # every item found stored before any work
    assert work(job_engine, loaded.spec, again.run_id).status == "completed"
    assert count(job_engine, RequestRow) == 6


def test_an_unfinished_run_is_resumed(job_engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None
    claimed = leases.claim(job_engine.store, started.run_id, "someone", 2, 0.5)
    assert len(claimed) == 2
    resumed = start_run(job_engine, loaded)
    assert resumed is not None and (resumed.run_id, resumed.resumed) == (started.run_id, True)
    time.sleep(0.6)  # "someone" died: its leases expire and its items go back to the queue
    final = work(job_engine, loaded.spec, started.run_id, owner="me")
    assert (final.done, final.status) == (6, "completed")
    with read_session(job_engine.store) as session:
        attempts = session.scalars(
            sa.select(JobItemRow.attempts).where(JobItemRow.id.in_([c.id for c in claimed]))
        )
        assert list(attempts) == [2, 2]


def test_a_live_lease_keeps_others_off(job_engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None
    first = leases.claim(job_engine.store, started.run_id, "a", 4, 60)
    second = leases.claim(job_engine.store, started.run_id, "b", 4, 60)
    assert len(first) == 4 and len(second) == 2
    assert not {i.id for i in first} & {i.id for i in second}
    assert leases.claim(job_engine.store, started.run_id, "c", 4, 60) == []
    assert leases.renew(job_engine.store, "a", 60) == 4


def test_a_sample_stored_before_a_crash_is_adopted_not_generated_again(
    job_engine: Engine, write_spec: WriteSpec
) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None
    [item] = leases.claim(job_engine.store, started.run_id, "crashed", 1, 0.01)
    # The crashed worker stored the sample but died before marking its item done.
    job_engine.generate(
        item_request(loaded.spec, item.input, item.seed),
        job_item=JobItemLink(started.run_id, item.idempotency_key),
    )
    time.sleep(0.05)
    work(job_engine, loaded.spec, started.run_id)
    assert count(job_engine, RequestRow) == 6
    with read_session(job_engine.store) as session:
        keys = session.scalars(sa.select(GenerationRow.idempotency_key)).all()
        assert sorted(keys) == sorted(session.scalars(sa.select(JobItemRow.idempotency_key)).all())


def test_a_cancelled_run_stops_claiming(job_engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC))
    started = start_run(job_engine, loaded)
    assert started is not None
    assert runs.cancel(job_engine.store, started.run_id) == "cancelled"
    final = work(job_engine, loaded.spec, started.run_id)
    assert (final.status, final.done, final.pending) == ("cancelled", 0, 6)
    assert count(job_engine, RequestRow) == 0


def test_a_failing_item_is_retried_then_marked_failed(job_engine: Engine, write_spec: WriteSpec) -> None:
    job_engine.registry.add(DoublesPlugin(), "doubles")
    spec = "name: broken\ngenerator: gen-raise\ninputs: {items: [{prompt: a}, {prompt: b}]}\n"
    loaded = load_spec(write_spec(spec + "concurrency: {max_attempts: 2}\n"))
    started = start_run(job_engine, loaded)
    assert started is not None
    final = work(job_engine, loaded.spec, started.run_id)
    assert (final.status, final.failed, final.done) == ("completed", 2, 0)
    with read_session(job_engine.store) as session:
        rows = session.scalars(sa.select(JobItemRow)).all()
        assert {(r.attempts, r.status) for r in rows} == {(2, "failed")}
        assert all("model exploded" in (r.error or "") for r in rows)


def test_export_writes_records_and_files(job_engine: Engine, write_spec: WriteSpec, tmp_path: Path) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC + "outputs:\n  url: exported\n  format: csv\n"))
    started = start_run(job_engine, loaded)
    assert started is not None and loaded.spec.outputs is not None
    work(job_engine, loaded.spec, started.run_id)
    summary = export_run(job_engine.store, started.run_id, loaded.spec.outputs, loaded.base_dir)
    with (tmp_path / "exported" / f"run-{started.run_id}.csv").open(newline="") as handle:
        records = list(csv.DictReader(handle))
    accepted = runs.progress(job_engine.store, started.run_id).accepted
    assert summary.samples == summary.files == len(records) == accepted > 0
    assert {r["status"] for r in records} == {"accepted"}
    assert {json.loads(r["input"])["label"] for r in records} <= {3, 7}
    for record in records:
        assert (tmp_path / "exported" / record["files"]).read_bytes().startswith(b"\x89PNG")
