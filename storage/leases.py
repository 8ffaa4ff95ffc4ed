"""Claiming job items under a lease, renewing it by heartbeat, and settling each item.

A worker claims pending items, or running items whose lease has expired (their worker died), and
holds them until ``lease_expires_at``; a heartbeat thread pushes that forward while it works.
PostgreSQL claims with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent workers skip each
other's rows instead of queueing behind them; SQLite has one writer at a time (the store's
transactions begin IMMEDIATE), so its claims are serial anyway and ``FOR UPDATE`` is left out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from aigc.storage.models import JobItemRow, JobRunRow, TicketRow, utc_now
from aigc.storage.store import Store

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedItem:
    """An item this worker holds: what to generate and under which key."""

    id: int
    input_index: int
    sample_index: int
    input: dict[str, Any]
    seed: int
    idempotency_key: str
    attempts: int


def claim(store: Store, run_id: int, owner: str, limit: int, lease_s: float) -> list[ClaimedItem]:
    """Up to ``limit`` claimable items of a running run, now leased to ``owner`` for ``lease_s``."""
    now = utc_now()
    claimable = sa.or_(
        JobItemRow.status == "pending",
        sa.and_(JobItemRow.status == "running", JobItemRow.lease_expires_at < now),
    )
    with store._transaction() as session:
        if session.scalar(sa.select(JobRunRow.status).where(JobRunRow.id == run_id)) != "running":
            return []
        columns = (JobItemRow.id, JobItemRow.input_index, JobItemRow.sample_index, JobItemRow.input)
        rows = session.execute(
            sa.select(*columns, JobItemRow.seed, JobItemRow.idempotency_key, JobItemRow.attempts)
            .where(JobItemRow.run_id == run_id, claimable)
            .order_by(JobItemRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:  # one statement for the batch, not one per item
            session.execute(
                sa.update(JobItemRow)
                .where(JobItemRow.id.in_([row.id for row in rows]))
                .values(
                    status="running",
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=JobItemRow.attempts + 1,
                ),
                execution_options={"synchronize_session": False},
            )
        return [
            ClaimedItem(
                r.id, r.input_index, r.sample_index, dict(r.input), r.seed, r.idempotency_key, r.attempts + 1
            )
            for r in rows
        ]


def renew(store: Store, owner: str, lease_s: float) -> int:
    """Extend every lease ``owner`` holds; returns how many."""
    return extend_leases(store, JobItemRow, owner, "running", lease_s)


def extend_leases(
    store: Store, rows: type[JobItemRow | TicketRow], owner: str, status: str, lease_s: float
) -> int:
    """Extend the leases ``owner`` holds on ``rows`` in ``status`` to ``lease_s`` from now;
    returns how many."""
    with store._transaction() as session:
        result = session.execute(
            sa.update(rows)
            .where(rows.lease_owner == owner, rows.status == status)
            .values(lease_expires_at=utc_now() + timedelta(seconds=lease_s))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def complete(store: Store, generations: dict[int, int]) -> None:
    """Mark items done with their stored samples (item id → generation id), whoever holds them:
    the samples exist either way. ``lease_owner`` stays, saying which worker finished each."""
    if not generations:
        return
    items: sa.Table = JobItemRow.__table__  # type: ignore[assignment]
    with store._transaction() as session:
        session.connection().execute(
            sa.update(items)
            .where(items.c.id == sa.bindparam("item"))
            .values(
                status="done", generation_id=sa.bindparam("generation"), lease_expires_at=None, error=None
            ),
            [{"item": item, "generation": generation} for item, generation in generations.items()],
        )


def fail(store: Store, item: ClaimedItem, owner: str, error: str, max_attempts: int) -> str:
    """Give back an item whose attempt failed: pending again, or failed after ``max_attempts``."""
    status = "failed" if item.attempts >= max_attempts else "pending"
    with store._transaction() as session:
        session.execute(
            sa.update(JobItemRow)
            .where(JobItemRow.id == item.id, JobItemRow.lease_owner == owner, JobItemRow.status == "running")
            .values(status=status, lease_owner=None, lease_expires_at=None, error=error)
        )
    return status


class Heartbeat:
    """While open, renews the owner's leases every third of ``lease_s`` on a daemon thread;
    ``beat`` replaces what each beat does (default: renew the owner's job items)."""

    def __init__(
        self, store: Store, owner: str, lease_s: float, beat: Callable[[], object] | None = None
    ) -> None:
        self._owner, self._lease_s = owner, lease_s
        self._renew = beat or partial(renew, store, owner, lease_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat {owner}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_s / 3):
            try:
                self._renew()
            except SQLAlchemyError as error:  # a missed beat only risks a lease; try again next time
                _log.warning("could not renew the leases of %s: %s", self._owner, error)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
