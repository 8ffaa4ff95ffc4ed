"""Running a job's items on Ray Data (the optional ``ray`` extra): ``aigc jobs run --executor ray``.

The driver claims items (up to ``ITEMS_PER_PASS`` at a time) under its lease and keeps the lease
alive by heartbeat, exactly as the in-process runner does; Ray Data maps the claimed items, in
batches of the spec's ``batch_size``, over a pool of actors. Each actor is an
``ItemProducer`` holding its own engine, and so its own loaded generator (the ONNX session),
for its whole life; it produces items with the same code as the in-process runner, writing each
sample under its unique idempotency key. A retried Ray task therefore cannot store a sample
twice, and a driver that dies leaves leases that expire and return the items to the queue.
Actors reach the database and blob store through the URLs in the engine's settings, so on a
cluster those must be shared (PostgreSQL, object storage).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aigc.core.jobs.spec import JobSpec
from aigc.core.jobs.worker import ItemOutcome, produce_batch
from aigc.storage.leases import ClaimedItem

if TYPE_CHECKING:
    from aigc.core.engine import Engine

Batch = dict[str, np.ndarray[Any, Any]]
# Items claimed per pass. One pass is one Ray Dataset whose actors load the model once, so passes
# should be long; the driver's heartbeat keeps the whole claim leased meanwhile.
ITEMS_PER_PASS = 10_000


@dataclass(frozen=True)
class RayOptions:
    """The actor pool: how many actors, and the CPUs and GPUs each one reserves."""

    actors: int = 1
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0


class ItemProducer:
    """A Ray Data actor: builds an engine once (loading the generator), then produces batches."""

    def __init__(self, settings_json: str, spec_json: str, run_id: int, owner: str) -> None:
        from aigc.core.config import Settings
        from aigc.core.engine import Engine

        self.engine = Engine(Settings.model_validate_json(settings_json))
        self.spec = JobSpec.model_validate_json(spec_json)
        self.run_id, self.owner = run_id, owner
        self.engine.generator(self.spec.generator)  # load the ONNX session before the first batch

    def __call__(self, batch: Batch) -> Batch:
        items = [_item(batch, i) for i in range(len(batch["id"]))]
        outcomes = produce_batch(self.engine, self.spec, self.run_id, self.owner, items)
        return {
            "item_id": np.array([o.item_id for o in outcomes], dtype=np.int64),
            "outcome": np.array([o.outcome for o in outcomes], dtype=object),
            "generation_id": np.array([o.generation_id or 0 for o in outcomes], dtype=np.int64),
            "error": np.array([o.error or "" for o in outcomes], dtype=object),
        }


class RayExecutor:
    """Produces claimed items on a Ray Data actor pool (see the module docstring)."""

    def __init__(self, options: RayOptions | None = None) -> None:
        self.options = options or RayOptions()

    def claim_size(self, spec: JobSpec) -> int:
        return ITEMS_PER_PASS

    def produce(
        self, engine: Engine, spec: JobSpec, run_id: int, owner: str, batch: list[ClaimedItem]
    ) -> Iterator[ItemOutcome]:
        """Map the batch over the actor pool; connects to ``RAY_ADDRESS`` or starts a local Ray
        limited to the CPUs the actors need."""
        import ray

        options = self.options
        if not ray.is_initialized():
            ray.init(
                num_cpus=max(1, math.ceil(options.actors * options.cpus_per_actor)),
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False  # aigc shows its own
            logging.getLogger("ray.data").setLevel(logging.WARNING)
        producer_args = {
            "settings_json": engine.settings.model_dump_json(),
            "spec_json": spec.model_dump_json(),
            "run_id": run_id,
            "owner": owner,
        }
        rows = (
            ray.data.from_items([_row(item) for item in batch])
            .map_batches(
                ItemProducer,
                fn_constructor_kwargs=producer_args,
                batch_size=spec.concurrency.batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=options.actors),
                num_cpus=options.cpus_per_actor,
                num_gpus=options.gpus_per_actor,
            )
            .iter_rows()
        )
        for row in rows:
            yield ItemOutcome(
                int(row["item_id"]), row["outcome"], int(row["generation_id"]) or None, row["error"] or None
            )


def _row(item: ClaimedItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "input_index": item.input_index,
        "sample_index": item.sample_index,
        "input": json.dumps(item.input),
        "seed": item.seed,
        "idempotency_key": item.idempotency_key,
        "attempts": item.attempts,
    }


def _item(batch: Batch, i: int) -> ClaimedItem:
    return ClaimedItem(
        id=int(batch["id"][i]),
        input_index=int(batch["input_index"][i]),
        sample_index=int(batch["sample_index"][i]),
        input=json.loads(str(batch["input"][i])),
        seed=int(batch["seed"][i]),
        idempotency_key=str(batch["idempotency_key"][i]),
        attempts=int(batch["attempts"][i]),
    )
