"""Producing claimed items: generate, evaluate and store their samples under the items' keys, then
mark the items done.

The order is what makes a crash harmless. The engine writes the blobs of a claimed batch and
makes them durable, then commits its samples (each with its unique idempotency key) in one
transaction; only then are the items marked done. A crash before
the sample's commit leaves at most an orphan blob (``aigc gc``); a crash after it leaves a stored
sample whose item is still leased, and whoever claims the item next finds the sample by its key
instead of generating it again. Two workers racing on one item cannot both store it: the unique
key rejects the second, which adopts the first one's sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aigc.core.errors import AigcError, DuplicateKeyError
from aigc.core.jobs.planner import item_request
from aigc.core.jobs.spec import JobSpec
from aigc.storage import leases
from aigc.storage.leases import ClaimedItem
from aigc.storage.records import JobItemLink

if TYPE_CHECKING:
    from aigc.core.engine import Engine
    from aigc.core.schemas import GenerationResult

Outcome = Literal["accepted", "rejected", "failed", "retry"]


@dataclass(frozen=True)
class ItemOutcome:
    """What became of an item: its sample's verdict, or failed/retry when no sample was stored."""

    item_id: int
    outcome: Outcome
    generation_id: int | None = None
    error: str | None = None


def produce_batch(
    engine: Engine, spec: JobSpec, run_id: int, owner: str, batch: list[ClaimedItem]
) -> list[ItemOutcome]:
    """Store each item's sample (unless it is stored already), then mark the batch's items done.

    One look-up finds the samples stored already, one group of generator calls and one
    transaction store the others, and one transaction settles the batch: a crash in between
    leaves stored samples whose items the next worker adopts by their keys.
    """
    stored = engine.store.generation_ids_by_key(item.idempotency_key for item in batch)
    todo = [item for item in batch if item.idempotency_key not in stored]
    results = engine.generate_many(
        [item_request(spec, item.input, item.seed) for item in todo],
        job_items=[JobItemLink(run_id, item.idempotency_key) for item in todo],
    )
    produced = dict(zip((item.id for item in todo), results, strict=True))
    outcomes = [
        _outcome(engine, spec, owner, item, produced.get(item.id), stored.get(item.idempotency_key))
        for item in batch
    ]
    leases.complete(
        engine.store, {o.item_id: o.generation_id for o in outcomes if o.generation_id is not None}
    )
    return outcomes


def _outcome(
    engine: Engine,
    spec: JobSpec,
    owner: str,
    item: ClaimedItem,
    result: GenerationResult | AigcError | None,
    stored_id: int | None,
) -> ItemOutcome:
    stored: tuple[int, str] | None = None
    if stored_id is not None:
        stored = (stored_id, engine.store.get_generation(stored_id).status)
    elif isinstance(result, DuplicateKeyError):  # another worker stored it first
        stored = _stored_sample(engine, item.idempotency_key)
    elif isinstance(result, AigcError):
        return _give_back(engine, spec, owner, item, f"{type(result).__name__}: {result}")
    elif result is not None:
        if result.status == "failed" or not result.generations:
            return _give_back(engine, spec, owner, item, result.error or "the request failed")
        sample = result.generations[0]
        stored = (sample.id, sample.status)
    if stored is None:
        return _give_back(engine, spec, owner, item, "the sample was neither stored nor found")
    generation_id, status = stored
    return ItemOutcome(item.id, "accepted" if status == "accepted" else "rejected", generation_id)


def _stored_sample(engine: Engine, key: str) -> tuple[int, str] | None:
    generation_id = engine.store.generation_ids_by_key([key]).get(key)
    if generation_id is None:
        return None
    return generation_id, engine.store.get_generation(generation_id).status


def _give_back(engine: Engine, spec: JobSpec, owner: str, item: ClaimedItem, error: str) -> ItemOutcome:
    status = leases.fail(engine.store, item, owner, error, spec.concurrency.max_attempts)
    return ItemOutcome(item.id, "failed" if status == "failed" else "retry", error=error)
