"""Running a job: plan or resume a run, then claim and produce its items until none is left."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from aigc.core.jobs.planner import plan
from aigc.core.jobs.spec import JobSpec
from aigc.core.jobs.specfile import LoadedSpec
from aigc.core.jobs.worker import ItemOutcome, produce_batch
from aigc.storage import leases, runs
from aigc.storage.leases import ClaimedItem

if TYPE_CHECKING:
    from aigc.core.engine import Engine
    from aigc.storage.store import Store

MAX_POLL_S = 1.0

OnItem = Callable[[ItemOutcome], None]


@dataclass(frozen=True)
class StartedRun:
    """A run ready to be worked on, and whether it was resumed rather than started."""

    run_id: int
    resumed: bool


def worker_name() -> str:
    """A lease owner name unique to this process and call: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def save_job(store: Store, spec: JobSpec) -> int:
    """Insert or update the job named by ``spec``; returns its id."""
    return runs.save_job(
        store, spec.name, spec.model_dump(mode="json"), spec.schedule.cron if spec.schedule else None
    )


def start_run(engine: Engine, loaded: LoadedSpec, fire_time: datetime | None = None) -> StartedRun | None:
    """Resume the job's unfinished run of the same spec, or plan a new one.

    With ``fire_time`` (a scheduled firing) a new run is always created, unless that firing has a
    run already, in which case this returns ``None``.
    """
    store, spec = engine.store, loaded.spec
    items = plan(engine, loaded)  # validates every input before anything is written
    job_id = save_job(store, spec)
    data = spec.model_dump(mode="json")
    run_id = None if fire_time is not None else runs.open_run(store, job_id, data)
    resumed = run_id is not None
    if run_id is None:
        run_id = runs.create_run(store, job_id, data, fire_time)
        if run_id is None:
            return None
    if not runs.has_items(store, run_id):
        runs.add_items(store, run_id, items)
    return StartedRun(run_id, resumed)


class Executor(Protocol):
    """Produces claimed items somewhere: in this process, or on a pool of workers."""

    def claim_size(self, spec: JobSpec) -> int:
        """How many items to claim at a time."""
        ...

    def produce(
        self, engine: Engine, spec: JobSpec, run_id: int, owner: str, batch: list[ClaimedItem]
    ) -> Iterable[ItemOutcome]:
        """Produce every item of ``batch``, yielding each outcome as it is known."""
        ...


class InProcessExecutor:
    """Produces items one after another with this process's engine."""

    def claim_size(self, spec: JobSpec) -> int:
        return spec.concurrency.batch_size

    def produce(
        self, engine: Engine, spec: JobSpec, run_id: int, owner: str, batch: list[ClaimedItem]
    ) -> Iterable[ItemOutcome]:
        return produce_batch(engine, spec, run_id, owner, batch)


def work(
    engine: Engine,
    spec: JobSpec,
    run_id: int,
    *,
    owner: str | None = None,
    on_item: OnItem | None = None,
    executor: Executor | None = None,
    export: Callable[[int], object] | None = None,
) -> runs.RunProgress:
    """Claim and produce items of the run until every item is settled or the run is cancelled;
    returns the run's progress.

    Several workers (threads, processes, machines) may work on one run at once. When nothing is
    claimable but others hold leases, this waits: their items come back if their lease expires.
    ``export(run_id)`` runs once every item is settled, before the run is marked completed: a
    crash before it is done leaves the run running, and resuming it exports again.
    """
    owner = owner or worker_name()
    executor = executor or InProcessExecutor()
    lease_s = spec.concurrency.lease_s
    with leases.Heartbeat(engine.store, owner, lease_s):
        while True:
            batch = leases.claim(engine.store, run_id, owner, executor.claim_size(spec), lease_s)
            for outcome in executor.produce(engine, spec, run_id, owner, batch) if batch else ():
                if on_item is not None:
                    on_item(outcome)
            if not batch:
                if not runs.unsettled_items(engine.store, run_id):
                    break
                time.sleep(min(lease_s / 3, MAX_POLL_S))
    if export is not None and runs.run_status(engine.store, run_id) == "running":
        export(run_id)
    runs.finish_if_complete(engine.store, run_id)
    return runs.progress(engine.store, run_id)
