"""Jobs, runs and their items in the database: creating, resuming, counting, finishing, cancelling.

Specs arrive as JSON (``JobSpec.model_dump(mode="json")``): the store keeps them, it does not read them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from aigc.core.errors import NotFoundError
from aigc.storage.models import GenerationRow, JobItemRow, JobRow, JobRunRow, utc_now
from aigc.storage.records import NewJobItem
from aigc.storage.store import Store

INSERT_CHUNK = 500


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands: items by status, and the verdicts of the samples done."""

    run_id: int
    job: str
    status: str
    created_at: datetime
    total: int
    pending: int
    running: int
    done: int
    failed: int
    accepted: int
    rejected: int

    @property
    def finished(self) -> int:
        """Items that need no more work."""
        return self.done + self.failed


def save_job(store: Store, name: str, spec: dict[str, Any], schedule: str | None) -> int:
    """Insert or update the job ``name`` with its spec and cron ``schedule``; returns its id."""
    with store._transaction() as session:
        row = session.scalars(sa.select(JobRow).where(JobRow.name == name).with_for_update()).one_or_none()
        if row is None:
            try:
                with session.begin_nested():
                    row = JobRow(name=name, spec=spec, schedule=schedule)
                    session.add(row)
            except IntegrityError:  # saved by another process just now (PostgreSQL)
                row = session.scalars(sa.select(JobRow).where(JobRow.name == name)).one()
        row.spec, row.schedule, row.updated_at = spec, schedule, utc_now()
        session.flush()
        return row.id


def create_run(
    store: Store, job_id: int, spec: dict[str, Any], fire_time: datetime | None = None
) -> int | None:
    """A new running run of the job; ``None`` if a run for this ``fire_time`` exists already."""
    try:
        with store._transaction() as session:
            row = JobRunRow(job_id=job_id, fire_time=fire_time, spec=spec, status="running")
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def open_run(store: Store, job_id: int, spec: dict[str, Any]) -> int | None:
    """The job's newest unfinished run with exactly this spec (to resume), if any."""
    with store._session() as session:
        rows = session.scalars(
            sa.select(JobRunRow)
            .where(JobRunRow.job_id == job_id, JobRunRow.status == "running")
            .order_by(JobRunRow.id.desc())
        )
        return next((row.id for row in rows if row.spec == spec), None)


def add_items(store: Store, run_id: int, items: Sequence[NewJobItem]) -> None:
    """Queue a run's items, all or none; those whose result is stored already (an earlier run)
    start done. If another worker queued them first, theirs stand."""
    stored: dict[str, int] = {}
    for start in range(0, len(items), INSERT_CHUNK):
        stored |= store.generation_ids_by_key(
            item.idempotency_key for item in items[start : start + INSERT_CHUNK]
        )
    with contextlib.suppress(IntegrityError), store._transaction() as session:
        session.add_all(
            JobItemRow(
                run_id=run_id,
                input_index=item.input_index,
                sample_index=item.sample_index,
                input=item.input,
                seed=item.seed,
                idempotency_key=item.idempotency_key,
                status="done" if item.idempotency_key in stored else "pending",
                attempts=0,
                generation_id=stored.get(item.idempotency_key),
            )
            for item in items
        )


def has_items(store: Store, run_id: int) -> bool:
    """Whether the run's items have been queued (a run interrupted before that has none)."""
    with store._session() as session:
        return session.scalar(sa.select(sa.exists().where(JobItemRow.run_id == run_id))) is True


def progress(store: Store, run_id: int) -> RunProgress:
    """Counts of a run's items by status and of its samples by verdict."""
    with store._session() as session:
        run = session.get(JobRunRow, run_id)
        if run is None:
            raise NotFoundError(f"job run {run_id} not found")
        job = session.get_one(JobRow, run.job_id)
        statuses = dict(
            session.execute(
                sa.select(JobItemRow.status, sa.func.count())
                .where(JobItemRow.run_id == run_id)
                .group_by(JobItemRow.status)
            ).all()
        )
        verdicts = dict(
            session.execute(
                sa.select(GenerationRow.status, sa.func.count())
                .join(JobItemRow, JobItemRow.generation_id == GenerationRow.id)
                .where(JobItemRow.run_id == run_id)
                .group_by(GenerationRow.status)
            ).all()
        )
        return RunProgress(
            run_id=run_id,
            job=job.name,
            status=run.status,
            created_at=run.created_at,
            total=sum(statuses.values()),
            pending=statuses.get("pending", 0),
            running=statuses.get("running", 0),
            done=statuses.get("done", 0),
            failed=statuses.get("failed", 0),
            accepted=verdicts.get("accepted", 0),
            rejected=verdicts.get("rejected", 0),
        )


def finish_if_complete(store: Store, run_id: int) -> bool:
    """Mark the run completed when no item is left to do; whether it is (now) completed."""
    with store._transaction() as session:
        run = session.get_one(JobRunRow, run_id, with_for_update=True)
        if run.status != "running":
            return run.status == "completed"
        if session.scalar(_unsettled_count(run_id)):
            return False
        run.status, run.finished_at = "completed", utc_now()
        return True


def unsettled_items(store: Store, run_id: int) -> int:
    """How many items of a running run are pending or running (0 once it is cancelled)."""
    with store._session() as session:
        if session.scalar(sa.select(JobRunRow.status).where(JobRunRow.id == run_id)) != "running":
            return 0
        return session.scalar(_unsettled_count(run_id)) or 0


def _unsettled_count(run_id: int) -> sa.Select[int]:
    return sa.select(sa.func.count()).where(
        JobItemRow.run_id == run_id, JobItemRow.status.in_(("pending", "running"))
    )


def cancel(store: Store, run_id: int) -> str:
    """Cancel a running run (workers stop claiming its items); returns the run's status now."""
    with store._transaction() as session:
        run = session.get(JobRunRow, run_id, with_for_update=True)
        if run is None:
            raise NotFoundError(f"job run {run_id} not found")
        if run.status == "running":
            run.status, run.finished_at = "cancelled", utc_now()
        return run.status


def run_status(store: Store, run_id: int) -> str:
    """A run's status: running, completed or cancelled."""
    with store._session() as session:
        status = session.scalar(sa.select(JobRunRow.status).where(JobRunRow.id == run_id))
        if status is None:
            raise NotFoundError(f"job run {run_id} not found")
        return status


def recent_runs(store: Store, limit: int = 20) -> list[RunProgress]:
    """The newest runs first, with their progress."""
    with store._session() as session:
        ids = session.scalars(sa.select(JobRunRow.id).order_by(JobRunRow.id.desc()).limit(limit)).all()
    return [progress(store, run_id) for run_id in ids]


def run_samples(
    store: Store, run_id: int, statuses: Sequence[str]
) -> list[tuple[dict[str, Any], int, int, int]]:
    """(input row, input index, sample index, generation id) of the run's stored samples whose
    status is one of ``statuses``, by input and sample."""
    with store._session() as session:
        rows = session.execute(
            sa.select(JobItemRow.input, JobItemRow.input_index, JobItemRow.sample_index, GenerationRow.id)
            .join(GenerationRow, GenerationRow.id == JobItemRow.generation_id)
            .where(JobItemRow.run_id == run_id, GenerationRow.status.in_(statuses))
            .order_by(JobItemRow.input_index, JobItemRow.sample_index)
        )
        return [(dict(item), input_index, sample_index, gid) for item, input_index, sample_index, gid in rows]
