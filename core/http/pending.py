"""Generation requests that outlive the client's wait: a ticket to poll until the result is stored."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from functools import partial

from aigc.core.redaction import without_paths
from aigc.core.schemas import GenerationResult
from aigc.storage import tickets
from aigc.storage.store import Store
from aigc.storage.tickets import Ticket

log = logging.getLogger(__name__)


class Tickets:
    """202 tickets, kept in the database so that any server process sharing it answers a poll.

    This process (``owner``) leases the tickets of the requests it runs; its upkeep
    (``aigc.core.http.upkeep``) renews the leases while it is alive, so the tickets of a process
    that died read as failed once their lease runs out.
    """

    def __init__(self, store: Store, lease_s: float) -> None:
        self.store = store
        self.lease_s = lease_s
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"

    def add(self, future: Future[GenerationResult]) -> str:
        """A new pending ticket for ``future``, finished in the database when the future is."""
        ticket = secrets.token_hex(16)
        tickets.open_ticket(self.store, ticket, self.owner, self.lease_s)
        future.add_done_callback(partial(self._finish, ticket))
        return ticket

    def get(self, ticket: str) -> Ticket | None:
        """The ticket, whichever process runs it (None: unknown, or forgotten long after it finished)."""
        return tickets.get_ticket(self.store, ticket)

    def _finish(self, ticket: str, future: Future[GenerationResult]) -> None:
        try:
            if future.cancelled():
                tickets.finish_ticket(self.store, ticket, "failed", None, tickets.ABANDONED)
            elif (error := future.exception()) is not None:
                tickets.finish_ticket(self.store, ticket, "failed", None, without_paths(str(error)))
            else:
                result = future.result()
                tickets.finish_ticket(self.store, ticket, result.status, result.request_id, None)
        except Exception:  # the request itself is stored; only its ticket stays pending until its lease ends
            log.exception("could not record how the request of ticket %s ended", ticket)


class InFlight:
    """Generation requests submitted to ``executor`` and not finished yet, so shutdown can wait."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._futures: set[Future[GenerationResult]] = set()
        self._lock = threading.Lock()

    def submit(self, run: Callable[[], GenerationResult]) -> Future[GenerationResult]:
        """Run ``run`` on the executor and track it until it is done."""
        future = self.executor.submit(run)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[GenerationResult]) -> None:
        with self._lock:
            self._futures.discard(future)

    def drain(self, grace_s: float) -> int:
        """Wait up to ``grace_s`` for every submitted request to be stored, then stop the executor;
        returns how many were still unfinished (queued ones are cancelled)."""
        with self._lock:
            futures = set(self._futures)
        _, unfinished = wait(futures, timeout=grace_s)
        self.executor.shutdown(wait=False, cancel_futures=True)
        return len(unfinished)
