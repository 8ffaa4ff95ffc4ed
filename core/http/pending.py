"""Generation requests that outlive the client's wait: a ticket to poll until the result is stored."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait

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
