"""202 tickets in the database: any process reads them, and a dead owner's ticket ends as failed."""

from __future__ import annotations

from datetime import timedelta

from aigc.storage.models import utc_now
from aigc.storage.store import Store
from aigc.storage.tickets import (
    ABANDONED,
    Ticket,
    finish_ticket,
    forget_tickets,
    get_ticket,
    open_ticket,
    renew_tickets,
)
from tests.storage.factories import new_request

TICKET = "ab" * 16


def test_an_open_ticket_is_pending(store: Store) -> None:
    open_ticket(store, TICKET, "host:1", lease_s=60)
    assert get_ticket(store, TICKET) == Ticket(TICKET, "pending", None, None)
    assert get_ticket(store, "cd" * 16) is None


def test_a_finished_ticket_links_its_stored_request(store: Store) -> None:
    stored = store.save(new_request())
    open_ticket(store, TICKET, "host:1", lease_s=60)
    finish_ticket(store, TICKET, "completed", stored.request_id, None)
    assert get_ticket(store, TICKET) == Ticket(TICKET, "completed", stored.request_id, None)


def test_a_finished_ticket_stays_as_it_ended(store: Store) -> None:
    open_ticket(store, TICKET, "host:1", lease_s=60)
    finish_ticket(store, TICKET, "failed", None, "options.steps: 0 is below 1")
    finish_ticket(store, TICKET, "completed", None, None)
    assert get_ticket(store, TICKET) == Ticket(TICKET, "failed", None, "options.steps: 0 is below 1")


def test_a_pending_ticket_past_its_lease_reads_as_failed(store: Store) -> None:
    open_ticket(store, TICKET, "host:1", lease_s=-1)  # its owner stopped renewing it
    assert get_ticket(store, TICKET) == Ticket(TICKET, "failed", None, ABANDONED)


def test_renewing_extends_only_the_owners_pending_tickets(store: Store) -> None:
    open_ticket(store, TICKET, "host:1", lease_s=-1)
    open_ticket(store, "cd" * 16, "host:2", lease_s=-1)
    open_ticket(store, "ef" * 16, "host:1", lease_s=60)
    finish_ticket(store, "ef" * 16, "failed", None, "stopped")
    assert renew_tickets(store, "host:1", lease_s=60) == 1
    assert get_ticket(store, TICKET) == Ticket(TICKET, "pending", None, None)
    assert get_ticket(store, "cd" * 16) == Ticket("cd" * 16, "failed", None, ABANDONED)


def test_old_finished_and_abandoned_tickets_are_forgotten(store: Store) -> None:
    open_ticket(store, TICKET, "host:1", lease_s=60)
    finish_ticket(store, TICKET, "failed", None, "stopped")
    open_ticket(store, "cd" * 16, "host:2", lease_s=-1)
    open_ticket(store, "ef" * 16, "host:1", lease_s=60)
    assert forget_tickets(store, finished_before=utc_now() + timedelta(seconds=1)) == 2
    assert get_ticket(store, TICKET) is None and get_ticket(store, "cd" * 16) is None
    assert get_ticket(store, "ef" * 16) == Ticket("ef" * 16, "pending", None, None)
