"""Running a job: plan or resume a run, then claim and produce its items until none is left."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aigc.core.jobs import leases, runs
from aigc.core.jobs.planner import plan
from aigc.core.jobs.spec import JobSpec
from aigc.core.jobs.specfile import LoadedSpec
from aigc.core.jobs.worker import ItemOutcome, produce

if TYPE_CHECKING:
    from aigc.core.engine import Engine

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


def start_run(engine: Engine, loaded: LoadedSpec, fire_time: datetime | None = None) -> StartedRun | None:
    """Resume the job's unfinished run of the same spec, or plan a new one.

    With ``fire_time`` (a scheduled firing) a new run is always created, unless that firing has a
    run already, in which case this returns ``None``.
    """
    store, spec = engine.store, loaded.spec
    items = plan(engine, loaded)  # validates every input before anything is written
    job_id = runs.save_job(store, spec)
    run_id = None if fire_time is not None else runs.open_run(store, job_id, spec)
    resumed = run_id is not None
    if run_id is None:
        run_id = runs.create_run(store, job_id, spec, fire_time)
        if run_id is None:
            return None
    if not runs.has_items(store, run_id):
        runs.add_items(store, run_id, items)
    return StartedRun(run_id, resumed)


def work(
    engine: Engine,
    spec: JobSpec,
    run_id: int,
    *,
    owner: str | None = None,
    on_item: OnItem | None = None,
) -> runs.RunProgress:
    """Claim and produce items of the run until every item is settled or the run is cancelled;
    returns the run's progress.

    Several workers (threads, processes, machines) may work on one run at once. When nothing is
    claimable but others hold leases, this waits: their items come back if their lease expires.
    """
    owner = owner or worker_name()
    concurrency = spec.concurrency
    with leases.Heartbeat(engine.store, owner, concurrency.lease_s):
        while True:
            batch = leases.claim(engine.store, run_id, owner, concurrency.batch_size, concurrency.lease_s)
            for item in batch:
                outcome = produce(engine, spec, run_id, owner, item)
                if on_item is not None:
                    on_item(outcome)
            if not batch:
                if not runs.unsettled_items(engine.store, run_id):
                    break
                time.sleep(min(concurrency.lease_s / 3, MAX_POLL_S))
    runs.finish_if_complete(engine.store, run_id)
    return runs.progress(engine.store, run_id)
