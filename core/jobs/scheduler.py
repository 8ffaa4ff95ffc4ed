"""The scheduler: fires the runs of scheduled jobs at their cron times (APScheduler 3.x).

APScheduler keeps only the timers, in memory; the jobs and their runs live in aigc's tables.
Each firing inserts its run with the firing's scheduled time, and ``job_runs`` is unique on
(job, fire time): a second scheduler process, or this one restarted, cannot run a firing again.

- **Coalescing**: when several firings of a job were missed (the scheduler was down or busy),
  only the latest is run.
- **Misfire grace**: a firing runs only if the scheduler gets to it within the job's
  ``schedule.misfire_grace_s`` of its time (default an hour); later, it is logged as missed.
- Runs execute one at a time, in this process, on one worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from aigc.core.jobs.exporter import export_run
from aigc.core.jobs.runner import save_job, start_run, work
from aigc.core.jobs.specfile import LoadedSpec

if TYPE_CHECKING:
    from aigc.core.engine import Engine

_log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class _FiringExecutor(BaseExecutor):  # type: ignore[misc]
    """Calls ``job.func(*job.args, fire_time)`` with the firing's scheduled time, which
    APScheduler's own executors do not pass on, after the same misfire check they make."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigc-scheduler")
        self.pending: list[Future[None]] = []
        self.submitted = 0

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        self.pending.append(self._pool.submit(self._run, job, run_times))
        self.submitted += 1

    def _run(self, job: Any, run_times: list[datetime]) -> None:
        events = []
        for run_time in run_times:
            late = self._clock() - run_time
            if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                _log.warning("job %s: the firing at %s was missed by %s", job.id, run_time, late)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, "default", run_time))
                continue
            try:
                job.func(*job.args, run_time)
            except Exception as error:
                _log.exception("job %s: the run fired at %s failed", job.id, run_time)
                events.append(
                    JobExecutionEvent(EVENT_JOB_ERROR, job.id, "default", run_time, exception=error)
                )
            else:
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, "default", run_time))
        self._run_job_success(job.id, events)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)


class JobScheduler:
    """Fires the scheduled jobs among ``specs``; each firing is one run, started at most once."""

    def __init__(
        self, engine: Engine, specs: list[LoadedSpec], *, clock: Clock = partial(datetime.now, UTC)
    ) -> None:
        self.engine = engine
        self._specs = {loaded.spec.name: loaded for loaded in specs if loaded.spec.schedule is not None}
        self._clock = clock
        self._executor = _FiringExecutor(clock)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={"default": MemoryJobStore()},
            executors={"default": self._executor},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        for name, loaded in self._specs.items():
            schedule = loaded.spec.schedule
            assert schedule is not None
            save_job(engine.store, loaded.spec)
            self._scheduler.add_job(
                self.fire,
                CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone),
                args=(name,),
                id=name,
                name=name,
                misfire_grace_time=schedule.misfire_grace_s,
            )

    @property
    def job_names(self) -> list[str]:
        """The scheduled jobs, by name."""
        return sorted(self._specs)

    def next_fire_times(self) -> dict[str, datetime | None]:
        """When each scheduled job fires next (known once started)."""
        return {job.id: getattr(job, "next_run_time", None) for job in self._scheduler.get_jobs()}

    def fire(self, name: str, fire_time: datetime | None = None) -> int | None:
        """Run job ``name`` for the firing at ``fire_time`` (default: now); the run id, or None if
        that firing has a run already (another scheduler, or this one before a restart, took it)."""
        loaded = self._specs[name]
        fire_time = fire_time or self._clock()
        started = start_run(self.engine, loaded, fire_time.astimezone(UTC))
        if started is None:
            _log.info("job %s: the firing at %s has a run already", name, fire_time)
            return None
        outputs = loaded.spec.outputs
        work(
            self.engine,
            loaded.spec,
            started.run_id,
            export=None
            if outputs is None
            else partial(export_run, self.engine.store, outputs=outputs, base_dir=loaded.base_dir),
        )
        return started.run_id

    def start(self) -> None:
        """Start the timers on a background thread."""
        self._scheduler.start()

    def wakeup(self) -> None:
        """Look for due firings now (rather than at the next planned wake-up)."""
        self._scheduler.wakeup()

    @property
    def firings_submitted(self) -> int:
        """How many due firings the timers have handed over so far (run or found missed)."""
        return self._executor.submitted

    def wait_idle(self) -> None:
        """Wait until every firing submitted so far has finished."""
        while self._executor.pending:
            self._executor.pending.pop(0).result()

    def shutdown(self) -> None:
        """Stop the timers and wait for the run in progress."""
        self._scheduler.shutdown(wait=True)
