"""While a server process runs: it renews the leases of its 202 tickets, and forgets what no one
needs any more (tickets finished a day ago, rate-limit buckets that are full again)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from types import TracebackType

from aigc.core.http.pending import Tickets
from aigc.storage import rate_limits, tickets

log = logging.getLogger(__name__)
TICKET_RETENTION = timedelta(days=1)


class Upkeep:
    """While open, a daemon thread does the upkeep every third of the tickets' lease."""

    def __init__(self, pending: Tickets) -> None:
        self._pending = pending
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aigc:upkeep", daemon=True)

    def _run(self) -> None:
        store = self._pending.store
        while not self._stop.wait(self._pending.lease_s / 3):
            try:
                tickets.renew_tickets(store, self._pending.owner, self._pending.lease_s)
                tickets.forget_tickets(store, finished_before=datetime.now(UTC) - TICKET_RETENTION)
                rate_limits.forget_full_buckets(store, now=time.time())
            except Exception as error:  # the database may be away a moment: a missed beat only risks a lease
                log.warning("could not renew the tickets of %s: %s", self._pending.owner, error)

    def __enter__(self) -> Upkeep:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
