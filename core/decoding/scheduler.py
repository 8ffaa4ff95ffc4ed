"""Continuous batching for static-cache language models: one decode batch per model, shared by
every request in the process.

Requests (HTTP handlers, Python threads, job workers) hand their rows to the model's
``ContinuousBatcher`` through ``batch()``, exactly as they would build a ``RowBatch`` of their own,
and read them back through the returned ``ScheduledBatch``, which has the same interface
(``step``, ``finish``, ``done``, ``results``, ``run``, ``close``). One scheduler thread runs the
model:

- **Joining**: waiting rows are admitted between decode steps, into free rows of the shared
  static KV cache. The newcomers' prompts are processed together (right-padded, each row seeing
  only its own tokens, as in a request's own batch) and each row's keys and values are copied into
  its cache row; at most ``prefill_tokens_per_step`` prompt tokens are processed between two decode
  steps (at least one prompt), so running streams keep flowing while newcomers arrive.
- **Decoding**: every running row advances one token per step; each row keeps its own sampling
  parameters, random generator, penalties, token limits and end-of-text rule, so a row's tokens
  are the ones it would get alone (the graph's rows do not interact).
- **Leaving**: rows leave when they finish, when their reader calls ``finish`` (a stop string)
  or ``close`` (a client went away); the cache shrinks when three quarters of it is free.
- **Backpressure**: at most ``max_waiting`` rows wait; more raise ``OverloadedError`` (HTTP 429
  with ``Retry-After``) without queueing.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from aigc.core.decoding.loop import (
    FinishReason,
    LanguageModel,
    RowResult,
    add_token,
    choose_tokens,
    seen_in_prompts,
)
from aigc.core.decoding.sampling import SamplingParams, TokenLogprob, token_logprob
from aigc.core.decoding.static import StaticCache, StaticCacheLM
from aigc.core.errors import OverloadedError

if TYPE_CHECKING:
    from aigc.core.config import Settings

# (row, output token or None, finish reason or None, the token's log-probability when asked)
Event = tuple[int, int | None, FinishReason | None, TokenLogprob | None]


@dataclass(frozen=True)
class Scheduling:
    """Limits of a model's shared batch: rows decoded together (0: every request decodes alone) and
    rows allowed to wait for a place."""

    max_rows: int = 32
    max_waiting: int = 256

    @classmethod
    def of(cls, settings: Settings) -> Scheduling:
        """The limits the engine's settings give (``AIGC_DECODE_BATCH_ROWS``, ``AIGC_DECODE_QUEUE_ROWS``)."""
        return cls(settings.decode_batch_rows, settings.decode_queue_rows)


@dataclass(frozen=True)
class StepReport:
    """What one scheduler step did, for metrics: rows decoded together, rows waiting."""

    model: str
    batch_size: int
    running: int
    waiting: int


@dataclass(frozen=True)
class RowReport:
    """A finished row's latencies: time to its first token and per output token after it."""

    model: str
    first_token_s: float
    per_token_s: float | None


Observer = Callable[[StepReport | RowReport], None]
_observers: list[Observer] = []


def add_observer(observer: Observer) -> None:
    """Call ``observer`` with every ``StepReport`` and ``RowReport`` of every batcher (metrics)."""
    _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    """Stop calling ``observer``."""
    if observer in _observers:
        _observers.remove(observer)


def _report(report: StepReport | RowReport) -> None:
    for observer in list(_observers):
        observer(report)


@dataclass(eq=False)
class _Row:
    """A row as the scheduler sees it: its own sampling state and its place in the cache."""

    handle: ScheduledBatch
    index: int
    prompt: Sequence[int]
    params: SamplingParams
    rng: np.random.Generator
    max_new_tokens: int
    min_new_tokens: int
    result: RowResult
    submitted: float
    seen: np.ndarray | None = None  # (1, vocab), as RowBatch keeps them per row
    counts: np.ndarray | None = None
    first_token_at: float | None = None
    cancelled: bool = False


class ScheduledBatch:
    """A request's rows in a model's shared batch, read as a ``RowBatch`` is: ``step()`` returns the
    ``(row, token)`` output of the next scheduler step that advanced any of these rows."""

    def __init__(self, batcher: ContinuousBatcher, prompts: Sequence[Sequence[int]]) -> None:
        self._batcher = batcher
        self.results = [RowResult(prompt_tokens=len(p)) for p in prompts]
        self._events: queue.Queue[list[Event] | BaseException] = queue.Queue()
        self._rows: list[_Row] = []

    @property
    def done(self) -> bool:
        return all(result.finish_reason is not None for result in self.results)

    def step(self) -> list[tuple[int, int]]:
        """The output tokens of the next step that advanced these rows (waits for it)."""
        if self.done:
            return []
        item = self._events.get()
        if isinstance(item, BaseException):
            for result in self.results:
                result.finish_reason = result.finish_reason or "stop"
            raise item
        output: list[tuple[int, int]] = []
        for row, token, reason, logprob in item:
            result = self.results[row]
            if result.finish_reason is not None:
                continue  # finished by its reader (a stop string) before this step was read
            if token is not None:
                result.token_ids.append(token)
                output.append((row, token))
            if logprob is not None:
                result.logprobs.append(logprob)
            result.finish_reason = reason
        return output

    def finish(self, row: int, reason: FinishReason = "stop") -> None:
        """End ``row`` (e.g. a stop string matched); the scheduler drops it before its next step."""
        if self.results[row].finish_reason is None:
            self.results[row].finish_reason = reason
        self._batcher.cancel(self._rows[row])

    def run(self) -> list[RowResult]:
        """Step until every row has finished."""
        while not self.done:
            self.step()
        return self.results

    def close(self) -> None:
        """Give up every row that has not finished: the scheduler drops them."""
        for row in self._rows:
            self._batcher.cancel(row)

    def _deliver(self, item: list[Event] | BaseException) -> None:
        self._events.put(item)


@dataclass
class _Slots:
    """The shared cache and, per cache row, its occupant, its length and its next input token."""

    cache: StaticCache
    rows: list[_Row | None]
    lengths: np.ndarray
    next_tokens: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.next_tokens = np.zeros(len(self.rows), dtype=np.int64)


class ContinuousBatcher(LanguageModel):
    """A ``StaticCacheLM`` whose ``batch()`` joins one shared, continuously running batch (see the
    module docstring)."""

    def __init__(
        self,
        model: StaticCacheLM,
        name: str,
        max_rows: int = 32,
        max_waiting: int = 256,
        prefill_tokens_per_step: int = 512,
    ) -> None:
        self.model, self.name = model, name
        self.context_length, self.eos_token_id = model.context_length, model.eos_token_id
        self.max_rows, self.max_waiting = max_rows, max_waiting
        self.prefill_tokens_per_step = prefill_tokens_per_step
        self._waiting: deque[_Row] = deque()
        self._cond = threading.Condition()
        self._slots: _Slots | None = None
        self._thread: threading.Thread | None = None
        self._step_seconds = 0.05  # recent decode step time: the Retry-After estimate

    def token_log_probs(self, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """As the model's (outside the shared batch: a scoring pass of its own)."""
        return self.model.token_log_probs(sequences)

    def batch(
        self,
        prompts: Sequence[Sequence[int]],
        seeds: Sequence[int],
        params: SamplingParams,
        max_new_tokens: int,
        min_new_tokens: int = 0,
        forced: Sequence[Mapping[int, int]] | None = None,
    ) -> ScheduledBatch:
        """The rows of ``prompts``, queued to join the shared batch; ``OverloadedError`` when
        ``max_waiting`` rows are waiting already."""
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if forced is not None:
            raise ValueError("continuous batching does not force tokens; decode such rows in a RowBatch")
        for prompt in prompts:
            self.check_prompt(len(prompt))
        handle = ScheduledBatch(self, prompts)
        now = time.perf_counter()
        handle._rows = [
            _Row(
                handle,
                index,
                prompt,
                params,
                np.random.default_rng(seed),
                max_new_tokens,
                min_new_tokens,
                RowResult(prompt_tokens=len(prompt)),
                now,
            )
            for index, (prompt, seed) in enumerate(zip(prompts, seeds, strict=True))
        ]
        if max_new_tokens < 1:
            for result in handle.results:
                result.finish_reason = "length"
            return handle
        with self._cond:
            if len(self._waiting) + len(prompts) > self.max_waiting:
                wait_s = self._step_seconds * max(1, len(self._waiting)) / max(1, self.max_rows)
                raise OverloadedError(
                    f"{self.name}: {len(self._waiting)} rows are waiting for the decode batch (at most "
                    f"{self.max_waiting})",
                    retry_after_s=max(1.0, wait_s),
                )
            self._waiting.extend(handle._rows)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name=f"aigc:batch:{self.name}", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return handle

    def cancel(self, row: _Row) -> None:
        """Drop ``row`` before the next step (waiting or running)."""
        with self._cond:
            row.cancelled = True

    # -- the scheduler thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._running():
                    self._cond.wait()
                self._drop_cancelled_waiting()
                newcomers = self._take_newcomers()
            try:
                self._admit(newcomers)
                if self._running():
                    self._decode_step()
            except Exception as error:  # the graph failed: every request it held fails, the loop goes on
                self._fail_all(error, newcomers)

    def _running(self) -> list[_Row]:
        return [] if self._slots is None else [r for r in self._slots.rows if r is not None]

    def _drop_cancelled_waiting(self) -> None:
        self._waiting = deque(r for r in self._waiting if not r.cancelled)

    def _take_newcomers(self) -> list[_Row]:
        room = self.max_rows - len(self._running())
        taken: list[_Row] = []
        budget = self.prefill_tokens_per_step
        while self._waiting and len(taken) < room and (not taken or len(self._waiting[0].prompt) <= budget):
            row = self._waiting.popleft()
            budget -= len(row.prompt)
            taken.append(row)
        return taken

    def _admit(self, newcomers: list[_Row]) -> None:
        """Process the newcomers' prompts together (each row sees only its own, as in a request's
        own batch), choose their first tokens, and give each a cache row."""
        rows = [row for row in newcomers if not row.cancelled]
        if not rows:
            return
        prompts = [row.prompt for row in rows]
        own = StaticCache(self.model, len(rows), max(len(p) for p in prompts))
        logits = self.model.prefill(own, prompts, last_only=True)
        events: dict[ScheduledBatch, list[Event]] = {}
        for index, row in enumerate(rows):
            token = self._choose(row, logits[index : index + 1])
            events.setdefault(row.handle, []).append(self._record(row, token, logits[index]))
            if row.result.finish_reason is None:
                self._place(row, own, index, token)
        self._deliver(events)

    def _place(self, row: _Row, own: StaticCache, source: int, token: int) -> None:
        """Copy ``row``'s prompt keys and values (row ``source`` of ``own``) into a free row of the
        shared cache (growing it if full)."""
        length = len(row.prompt)
        slots = self._slots
        if slots is None or None not in slots.rows or slots.cache.capacity < length + 1:
            slots = self._resized(
                rows=max(1, len(self._running()) + 1),
                capacity=max(length + 1, slots.cache.capacity if slots else 0),
            )
        slot = slots.rows.index(None)
        for shared, prefilled in zip(slots.cache.arrays, own.arrays, strict=True):
            shared[slot, :, :length] = prefilled[source, :, :length]
        slots.rows[slot] = row
        slots.lengths[slot] = length
        slots.next_tokens[slot] = token

    def _resized(self, rows: int, capacity: int) -> _Slots:
        """The shared cache with room for ``rows`` (rounded up to a power of two, at most
        ``max_rows``) and ``capacity`` tokens (doubling), its running rows compacted at the front."""
        size = min(self.max_rows, 1 << max(0, rows - 1).bit_length())
        old = self._slots
        current = old.cache.capacity if old is not None else 0
        room = current if current >= capacity else max(capacity, 2 * current)
        room = min(self.context_length, room)
        cache = StaticCache(self.model, size, room)
        slots = _Slots(cache, [None] * size, np.ones(size, dtype=np.int64))
        if old is not None:
            kept = [slot for slot, r in enumerate(old.rows) if r is not None]
            width = min(old.cache.capacity, room)
            for new, previous in zip(cache.arrays, old.cache.arrays, strict=True):
                new[: len(kept), :, :width] = previous[kept, :, :width]
            for place, slot in enumerate(kept):
                slots.rows[place] = old.rows[slot]
                slots.lengths[place] = old.lengths[slot]
                slots.next_tokens[place] = old.next_tokens[slot]
        self._slots = slots
        return slots

    def _decode_step(self) -> None:
        """One token for every running row (free rows rewrite their last slot, never read)."""
        slots = self._slots
        assert slots is not None
        with self._cond:
            for slot, row in enumerate(slots.rows):
                if row is not None and row.cancelled:
                    slots.rows[slot] = None
            waiting = len(self._waiting)
        running = self._running()
        if not running:
            return
        if len(running) * 4 <= len(slots.rows) and len(slots.rows) > 1:
            slots = self._resized(len(running), slots.cache.capacity)
        occupied = np.array([r is not None for r in slots.rows])
        if int(slots.lengths[occupied].max()) + 1 > slots.cache.capacity:
            slots = self._resized(len(slots.rows), slots.cache.capacity + 1)
        started = time.perf_counter()
        logits, slots.lengths = self.model.decode_step(
            slots.cache, slots.next_tokens, slots.lengths, occupied
        )
        events: dict[ScheduledBatch, list[Event]] = {}
        for slot, row in enumerate(slots.rows):
            if row is None:
                continue
            token = self._choose(row, logits[slot : slot + 1])
            events.setdefault(row.handle, []).append(self._record(row, token, logits[slot]))
            if row.result.finish_reason is None:
                slots.next_tokens[slot] = token
            else:
                slots.rows[slot] = None
        self._step_seconds = 0.8 * self._step_seconds + 0.2 * (time.perf_counter() - started)
        self._deliver(events)
        _report(StepReport(self.name, len(running), len(self._running()), waiting))

    def _choose(self, row: _Row, logits: np.ndarray) -> int:
        """``row``'s next token from its logits ``(1, vocab)``, as ``RowBatch.step`` chooses it."""
        params, vocab = row.params, logits.shape[-1]
        if params.repetition_penalty != 1.0 and row.seen is None:
            row.seen = seen_in_prompts([row.prompt], vocab)
        if params.counts_output and row.counts is None:
            row.counts = np.zeros((1, vocab), dtype=np.int32)
        produced = [len(row.result.token_ids)]
        chosen = choose_tokens(
            logits, params, [row.rng], row.seen, row.counts, produced, row.min_new_tokens, self.eos_token_id
        )
        token = int(chosen[0])
        if row.seen is not None:
            row.seen[0, token] = True
        if row.counts is not None:
            row.counts[0, token] += 1
        return token

    def _record(self, row: _Row, token: int, logits: np.ndarray) -> Event:
        """Add ``token`` (chosen from raw ``logits`` ``(vocab,)``) to the scheduler's copy of the
        row; the event its reader will apply."""
        now = time.perf_counter()
        row.first_token_at = row.first_token_at or now
        output = add_token(row.result, token, self.eos_token_id, row.max_new_tokens, self.context_length)
        top = row.params.logprobs
        logprob = token_logprob(logits, token, top) if output and top is not None else None
        reason = row.result.finish_reason
        if reason is not None:
            produced = len(row.result.token_ids)
            per_token = (now - row.first_token_at) / (produced - 1) if produced > 1 else None
            _report(RowReport(self.name, row.first_token_at - row.submitted, per_token))
        return (row.index, token if output else None, reason, logprob)

    def _deliver(self, events: dict[ScheduledBatch, list[Event]]) -> None:
        for handle, items in events.items():
            handle._deliver(items)

    def _fail_all(self, error: Exception, newcomers: Sequence[_Row]) -> None:
        """Fail the requests of every running row and of ``newcomers`` (being admitted) with
        ``error``, and start over with an empty cache."""
        handles = {row.handle for row in [*self._running(), *newcomers]}
        self._slots = None
        for handle in handles:
            handle._deliver(error)
