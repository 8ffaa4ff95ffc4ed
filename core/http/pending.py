"""Generation requests that outlive the client's wait: a ticket to poll until the result is stored."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from concurrent.futures import Future

from aigc.core.schemas import GenerationResult

MAX_TICKETS = 10_000


class PendingRequests:
    """Tickets of running requests in this process; the oldest are forgotten beyond ``MAX_TICKETS``."""

    def __init__(self) -> None:
        self._futures: OrderedDict[str, Future[GenerationResult]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, future: Future[GenerationResult]) -> str:
        """A new ticket for ``future``."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._futures[ticket] = future
            while len(self._futures) > MAX_TICKETS:
                self._futures.popitem(last=False)
        return ticket

    def get(self, ticket: str) -> Future[GenerationResult] | None:
        """The request behind ``ticket``, if this process knows it."""
        with self._lock:
            return self._futures.get(ticket)
