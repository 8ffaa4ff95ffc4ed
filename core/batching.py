"""Dynamic batching (Triton-style): concurrent requests for a stateless generator share one call.

Requests wait in a queue per generator. A worker takes the oldest one and, within at most
``max_queue_delay_ms`` of its arrival, gathers every queued request with the same options and input
(``GeneratorCall.key``) until the batch holds ``max_batch_size`` samples; then it makes one
``generate`` call and hands each request exactly its own outputs. Generators honour the seed
contract (sample ``i`` draws only from its own seed), so a request's output does not depend on what
it was batched with.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import BaseModel, Field

from aigc.core.errors import PluginCallError
from aigc.core.isolation import call_with_timeout
from aigc.core.preparation import GeneratorCall
from aigc.core.specs import ArtifactData, Generator

logger = logging.getLogger(__name__)


def checked_batch(raw: object, expected: int, name: str) -> list[list[ArtifactData]]:
    """The generator's output if it has one non-empty list of ``ArtifactData`` per input."""
    if (
        not isinstance(raw, list)
        or len(raw) != expected
        or not all(isinstance(s, list) and s and all(isinstance(a, ArtifactData) for a in s) for s in raw)
    ):
        raise PluginCallError(
            f"generator {name!r} must return a list of {expected} non-empty lists of ArtifactData, "
            f"got {type(raw).__name__}"
        )
    return raw


class BatchPolicy(BaseModel):
    """How one generator's requests are merged: up to ``max_batch_size`` samples per call, waiting
    at most ``max_queue_delay_ms`` for company."""

    max_batch_size: int = Field(32, ge=1, le=4096, description="samples per merged call")
    max_queue_delay_ms: float = Field(5.0, ge=0, le=10_000, description="longest wait for more requests")


@dataclass(frozen=True)
class BatchStats:
    """What one merged call looked like, reported to an observer (metrics)."""

    generator: str
    size: int
    requests: int
    queue_ms: list[float]
    run_ms: float


@dataclass(frozen=True)
class BatchedOutput:
    """One request's own samples, how long it queued and how many samples its call ran."""

    samples: list[list[ArtifactData]]
    queue_ms: float
    batch_size: int


@dataclass
class _Entry:
    key: str
    generator: Generator
    call: GeneratorCall
    seeds: Sequence[int]
    enqueued: float = field(default_factory=time.perf_counter)
    future: Future[BatchedOutput] = field(default_factory=Future)


class _GeneratorQueue:
    """The queue and worker thread of one generator."""

    def __init__(
        self,
        name: str,
        policy: BatchPolicy,
        run: Callable[[_GeneratorQueue, list[_Entry]], None],
    ) -> None:
        self.name = name
        self.policy = policy
        self._run = run
        self._entries: list[_Entry] = []
        self._ready = threading.Condition()
        threading.Thread(target=self._work, name=f"aigc:batcher {name}", daemon=True).start()

    def put(self, entry: _Entry) -> None:
        with self._ready:
            self._entries.append(entry)
            self._ready.notify()

    def _samples_like(self, key: str) -> int:
        return sum(len(e.seeds) for e in self._entries if e.key == key)

    def _next_batch(self) -> list[_Entry]:
        with self._ready:
            while not self._entries:
                self._ready.wait()
            first = self._entries[0]
            deadline = first.enqueued + self.policy.max_queue_delay_ms / 1000
            while self._samples_like(first.key) < self.policy.max_batch_size:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                self._ready.wait(remaining)
            batch, size = [], 0
            for entry in list(self._entries):
                if entry.key == first.key and size + len(entry.seeds) <= self.policy.max_batch_size:
                    batch.append(entry)
                    size += len(entry.seeds)
                    self._entries.remove(entry)
            return batch

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._run(self, batch)
            except Exception:  # the worker must outlive any failure (a broken observer, say)
                logger.exception("batch of %s failed after its results were delivered", self.name)


class DynamicBatcher:
    """Merges concurrent requests for the generators named in ``policies`` into shared calls.

    ``observe`` (optional) receives a ``BatchStats`` after every call.
    """

    def __init__(
        self,
        policies: Mapping[str, BatchPolicy],
        timeout_s: float,
        observe: Callable[[BatchStats], None] | None = None,
    ) -> None:
        self.policies = dict(policies)
        self.timeout_s = timeout_s
        self._observe = observe
        self._queues: dict[str, _GeneratorQueue] = {}
        self._lock = threading.Lock()

    def handles(self, name: str, samples: int) -> bool:
        """Whether a request of ``samples`` samples for generator ``name`` goes through a queue."""
        policy = self.policies.get(name)
        return policy is not None and samples <= policy.max_batch_size

    def run(self, generator: Generator, call: GeneratorCall, seeds: Sequence[int]) -> BatchedOutput:
        """Queue one request's ``call`` and block until its samples are made (or the call failed)."""
        entry = _Entry(call.key, generator, call, seeds)
        self._queue(call.generator).put(entry)
        return entry.future.result()

    def _queue(self, name: str) -> _GeneratorQueue:
        with self._lock:
            if name not in self._queues:
                self._queues[name] = _GeneratorQueue(name, self.policies[name], self._run_batch)
            return self._queues[name]

    def _run_batch(self, queue: _GeneratorQueue, batch: list[_Entry]) -> None:
        started = time.perf_counter()
        first = batch[0]
        seeds = [seed for entry in batch for seed in entry.seeds]
        inputs = [first.call.input] * len(seeds)
        try:
            raw: Any = call_with_timeout(
                f"generator {queue.name}",
                self.timeout_s,
                partial(first.generator.generate, inputs, first.call.options, seeds),
            )
            samples = checked_batch(raw, len(seeds), queue.name)
        except BaseException as error:
            for entry in batch:
                entry.future.set_exception(error)
            return
        run_ms = (time.perf_counter() - started) * 1000
        queue_ms = [round((started - entry.enqueued) * 1000, 3) for entry in batch]
        offset = 0
        for entry, waited in zip(batch, queue_ms, strict=True):
            own = samples[offset : offset + len(entry.seeds)]
            offset += len(entry.seeds)
            entry.future.set_result(BatchedOutput(own, waited, len(seeds)))
        if self._observe is not None:
            self._observe(BatchStats(queue.name, len(seeds), len(batch), queue_ms, run_ms))
