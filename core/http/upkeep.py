"""While a server process runs: it renews the leases of its 202 tickets, and forgets what no one
needs any more (tickets finished a day ago, rate-limit buckets that are full again)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from aigc.core.http.pending import Tickets
from aigc.storage import rate_limits, tickets
from aigc.storage.leases import Heartbeat

TICKET_RETENTION = timedelta(days=1)


def upkeep(pending: Tickets) -> Heartbeat:
    """The upkeep of this process, every third of the tickets' lease while the heartbeat is open."""

    def beat() -> None:
        tickets.renew_tickets(pending.store, pending.owner, pending.lease_s)
        tickets.forget_tickets(pending.store, finished_before=datetime.now(UTC) - TICKET_RETENTION)
        rate_limits.forget_full_buckets(pending.store, now=time.time())

    return Heartbeat(pending.store, pending.owner, pending.lease_s, beat)
