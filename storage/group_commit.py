"""Group commit: concurrent callers in one process share one durable write, as databases do.

Each caller queues its item and waits. The first waiter finding no commit under way becomes the
leader: it waits up to ``window_s`` for company (or until ``max_batch`` items are queued), takes
the queue, commits it with one call and hands every caller its own outcome, a result or an
exception. Items that arrive while a commit is under way are taken by the next leader, so
concurrent callers share commits even with a window of zero, and a lone caller waits for nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_WINDOW_S = 1.0


@dataclass
class _Waiter(Generic[Item, Result]):
    item: Item
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None


@dataclass
class GroupCommit(Generic[Item, Result]):
    """Calls ``commit`` on batches of the items submitted concurrently.

    ``commit(items)`` returns one outcome per item, in order: a result, or the exception that
    item's caller gets; an exception it raises goes to every caller of the batch.
    """

    commit: Callable[[list[Item]], Sequence[Result | BaseException]]
    window_s: float = 0.0
    max_batch: int = 64
    _queue: list[_Waiter[Item, Result]] = field(default_factory=list)
    _leading: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if not 0 <= self.window_s <= MAX_WINDOW_S:
            raise ValueError(f"window_s must be between 0 and {MAX_WINDOW_S}, got {self.window_s}")
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {self.max_batch}")

    def submit(self, item: Item) -> Result:
        """Commit ``item`` (with whatever else is submitted meanwhile) and return its own result."""
        waiter: _Waiter[Item, Result] = _Waiter(item)
        with self._changed:
            self._queue.append(waiter)
            self._changed.notify_all()
        while True:
            with self._changed:
                while not waiter.done and self._leading:
                    self._changed.wait()
                if waiter.done:
                    break
                self._leading = True
            try:
                self._lead()
            finally:
                with self._changed:
                    self._leading = False
                    self._changed.notify_all()
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]  # set whenever error is None

    def _lead(self) -> None:
        with self._changed:
            deadline = time.monotonic() + self.window_s
            while len(self._queue) < self.max_batch and (remaining := deadline - time.monotonic()) > 0:
                self._changed.wait(remaining)
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            outcomes = list(self.commit([waiter.item for waiter in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"commit returned {len(outcomes)} outcomes for {len(batch)} items")
        except BaseException as error:
            outcomes = [error] * len(batch)
        with self._changed:
            for waiter, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    waiter.error = outcome
                else:
                    waiter.result = outcome
                waiter.done = True
