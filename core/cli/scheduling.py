"""``aigc scheduler`` (fire scheduled jobs) and ``aigc gc`` (remove orphan blobs)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from aigc.core.cli.state import console, fail, state
from aigc.core.errors import InvalidRequestError


def scheduler(
    ctx: typer.Context,
    specs: Annotated[
        list[Path], typer.Argument(help="job specs (YAML) with a schedule", exists=True, dir_okay=False)
    ],
) -> None:
    """Run the one scheduler process: fire each spec's runs at its cron times until interrupted.

    Firings are recorded in the database, unique per job and time, so a second scheduler or a
    restart never runs a firing twice. Missed firings are coalesced into one, run only within the
    spec's misfire grace.
    """
    from aigc.core.jobs.planner import plan
    from aigc.core.jobs.scheduler import JobScheduler
    from aigc.core.jobs.specfile import load_spec

    engine = state(ctx).engine
    try:
        loaded = [load_spec(path) for path in specs]
        for spec in loaded:
            plan(engine, spec)  # every input valid before the first firing
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None
    job_scheduler = JobScheduler(engine, loaded)
    if not job_scheduler.job_names:
        raise fail("none of these specs has a schedule", code=2)
    job_scheduler.start()
    for name, when in job_scheduler.next_fire_times().items():
        console.print(f"{name}: next run at {when}", markup=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopping: waiting for the run in progress")
    finally:
        job_scheduler.shutdown()


def gc(
    ctx: typer.Context,
    min_age: Annotated[
        float, typer.Option(min=0, help="spare blobs and partial writes younger than this many seconds")
    ] = 3600,
    dry_run: Annotated[bool, typer.Option(help="only list what would be removed")] = False,
) -> None:
    """Remove blobs no artifact refers to (left by a crash between writing bytes and rows), and the
    temporary files of blob writes that never finished."""
    store = state(ctx).engine.store
    collected = store.collect_orphan_blobs(min_age, dry_run=dry_run)
    partial = store.blobs.collect_partial_writes(min_age, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {len(collected)} orphan blobs and {len(partial)} partial writes")
    for name in [*collected, *partial]:
        console.print(f"  {name}", highlight=False, markup=False)
