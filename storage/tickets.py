"""202 tickets: requests still running when the client stopped waiting, kept where every server
process sharing the database can answer a poll.

The process running a ticket's request holds a lease on it and renews it while it works; a
pending ticket whose lease has run out reads as failed, so a process that died never leaves a
ticket pending forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from aigc.storage.leases import extend_leases
from aigc.storage.models import TicketRow, utc_now
from aigc.storage.store import Store

TicketStatus = Literal["pending", "completed", "failed"]
ABANDONED = (
    "the server process running this request stopped before it finished; "
    "anything it stored is listed by GET /v1/requests"
)


@dataclass(frozen=True)
class Ticket:
    """What a poll reports: the status, and the stored request or the error once finished."""

    id: str
    status: TicketStatus
    request_id: int | None
    error: str | None


def open_ticket(store: Store, ticket: str, owner: str, lease_s: float) -> None:
    """Record ``ticket`` as pending, run by ``owner`` and leased for ``lease_s``."""
    with store._transaction() as session:
        session.add(
            TicketRow(
                id=ticket,
                status="pending",
                lease_owner=owner,
                lease_expires_at=utc_now() + timedelta(seconds=lease_s),
            )
        )


def renew_tickets(store: Store, owner: str, lease_s: float) -> int:
    """Extend the lease of every pending ticket ``owner`` runs; returns how many."""
    return extend_leases(store, TicketRow, owner, "pending", lease_s)


def finish_ticket(
    store: Store,
    ticket: str,
    status: Literal["completed", "failed"],
    request_id: int | None,
    error: str | None,
) -> None:
    """Record how a pending ticket's request ended: its stored request, or the error."""
    with store._transaction() as session:
        session.execute(
            sa.update(TicketRow)
            .where(TicketRow.id == ticket, TicketRow.status == "pending")
            .values(status=status, request_id=request_id, error=error, finished_at=utc_now())
        )


def get_ticket(store: Store, ticket: str) -> Ticket | None:
    """The ticket, if the database has it; pending past its lease reads as failed."""
    with store._session() as session:
        row = session.get(TicketRow, ticket)
        if row is None:
            return None
        if row.status == "pending" and row.lease_expires_at < utc_now():
            return Ticket(row.id, "failed", row.request_id, ABANDONED)
        status: TicketStatus = "pending" if row.status == "pending" else _finished(row.status)
        return Ticket(row.id, status, row.request_id, row.error)


def forget_tickets(store: Store, finished_before: datetime) -> int:
    """Delete tickets finished, or abandoned (lease run out), before ``finished_before``; returns how many."""
    with store._transaction() as session:
        result = session.execute(
            sa.delete(TicketRow).where(
                sa.or_(
                    TicketRow.finished_at < finished_before,
                    sa.and_(TicketRow.status == "pending", TicketRow.lease_expires_at < finished_before),
                )
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _finished(status: str) -> Literal["completed", "failed"]:
    return "completed" if status == "completed" else "failed"
