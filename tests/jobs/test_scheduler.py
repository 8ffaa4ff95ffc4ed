"""The scheduler under a controlled clock: one run per firing, coalesced, dropped past the grace."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import apscheduler.schedulers.base
import pytest
import sqlalchemy as sa

from aigc.core.engine import Engine
from aigc.core.jobs.scheduler import JobScheduler
from aigc.core.jobs.specfile import LoadedSpec, load_spec
from aigc.storage.models import JobRunRow
from tests.jobs.conftest import WriteSpec
from tests.storage.factories import read_session

NIGHTLY = """\
name: nightly
generator: image-gan
options: {label: 4}
schedule: {cron: "0 3 * * *", misfire_grace_s: GRACE}
"""
START = datetime(2026, 1, 1, 2, 59, tzinfo=UTC)


class Clock:
    """The time APScheduler and the scheduler see; tests move it by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()

    class ControlledDatetime(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return clock.now.astimezone(tz) if tz is not None else clock.now.replace(tzinfo=None)  # type: ignore[arg-type]

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", ControlledDatetime)
    return clock


def nightly(write_spec: WriteSpec, grace_s: int = 3600) -> LoadedSpec:
    return load_spec(write_spec(NIGHTLY.replace("GRACE", str(grace_s))))


@pytest.fixture
def schedulers(engine: Engine, clock: Clock) -> Iterator[list[JobScheduler]]:
    started: list[JobScheduler] = []
    yield started
    for scheduler in started:
        scheduler.shutdown()


def start(schedulers: list[JobScheduler], engine: Engine, loaded: LoadedSpec, clock: Clock) -> JobScheduler:
    scheduler = JobScheduler(engine, [loaded], clock=clock)
    scheduler.start()
    schedulers.append(scheduler)
    return scheduler


def advance_and_settle(clock: Clock, to: datetime, *schedulers: JobScheduler) -> None:
    """Move the clock, wake every scheduler, and wait for what each submits to finish."""
    before = [s.firings_submitted for s in schedulers]
    clock.now = to
    for scheduler in schedulers:
        scheduler.wakeup()
    deadline = time.monotonic() + 30
    while any(s.firings_submitted == b for s, b in zip(schedulers, before, strict=True)):
        assert time.monotonic() < deadline, "a scheduler did not fire"
        time.sleep(0.01)
    for scheduler in schedulers:
        scheduler.wait_idle()


def fire_times(engine: Engine) -> list[datetime | None]:
    with read_session(engine.store) as session:
        return list(session.scalars(sa.select(JobRunRow.fire_time).order_by(JobRunRow.id)))


def test_the_next_firing_is_computed_from_the_cron_expression(
    engine: Engine, write_spec: WriteSpec, clock: Clock, schedulers: list[JobScheduler]
) -> None:
    scheduler = start(schedulers, engine, nightly(write_spec), clock)
    assert scheduler.next_fire_times() == {"nightly": START.replace(minute=0, hour=3)}


def test_two_schedulers_firing_together_start_one_run(
    engine: Engine,
    write_spec: WriteSpec,
    clock: Clock,
    schedulers: list[JobScheduler],
) -> None:
    loaded = nightly(write_spec)
    other_engine = Engine(engine.settings, registry=engine.registry, runtime=engine.runtime)
    try:
        first = start(schedulers, engine, loaded, clock)
        second = start(schedulers, other_engine, loaded, clock)
        advance_and_settle(clock, START + timedelta(minutes=1, seconds=5), first, second)
    finally:
        other_engine.close()
    assert fire_times(engine) == [datetime(2026, 1, 1, 3, 0, tzinfo=UTC)]
    with read_session(engine.store) as session:
        assert session.scalars(sa.select(JobRunRow.status)).all() == ["completed"]


def test_missed_firings_are_coalesced_into_the_latest(
    engine: Engine, write_spec: WriteSpec, clock: Clock, schedulers: list[JobScheduler]
) -> None:
    scheduler = start(schedulers, engine, nightly(write_spec), clock)
    advance_and_settle(clock, datetime(2026, 1, 3, 3, 30, tzinfo=UTC), scheduler)  # down for two days
    assert fire_times(engine) == [datetime(2026, 1, 3, 3, 0, tzinfo=UTC)]


def test_a_firing_later_than_its_grace_is_skipped(
    engine: Engine, write_spec: WriteSpec, clock: Clock, schedulers: list[JobScheduler]
) -> None:
    scheduler = start(schedulers, engine, nightly(write_spec, grace_s=60), clock)
    advance_and_settle(clock, datetime(2026, 1, 1, 3, 5, tzinfo=UTC), scheduler)
    assert fire_times(engine) == []
    advance_and_settle(
        clock, datetime(2026, 1, 2, 3, 0, 30, tzinfo=UTC), scheduler
    )  # the next one is on time
    assert fire_times(engine) == [datetime(2026, 1, 2, 3, 0, tzinfo=UTC)]
