"""``aigc jobs``: validate, run, inspect and cancel batch generation jobs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from aigc.core.cli.render import simple_table
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.cli.step_progress import step_progress
from aigc.core.errors import InvalidRequestError, NotFoundError

if TYPE_CHECKING:
    from aigc.core.jobs.runner import Executor
    from aigc.core.jobs.specfile import LoadedSpec
    from aigc.core.jobs.worker import ItemOutcome
    from aigc.storage.runs import RunProgress


class ExecutorChoice(StrEnum):
    in_process = "in-process"
    ray = "ray"


jobs_app = typer.Typer(help="Batch and scheduled generation jobs (YAML specs).", no_args_is_help=True)
SpecPath = Annotated[Path, typer.Argument(help="job spec (YAML)", exists=True, dir_okay=False)]


def _load(path: Path) -> LoadedSpec:
    from aigc.core.jobs.specfile import load_spec

    try:
        return load_spec(path)
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None


@jobs_app.command("validate")
def validate(ctx: typer.Context, spec: SpecPath) -> None:
    """Check a spec and every input against the installed plugins; runs nothing."""
    from aigc.core.jobs.planner import plan

    loaded = _load(spec)
    try:
        items = plan(state(ctx).engine, loaded)
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None
    console.print(f"{loaded.source}: valid, {len(items)} items ({loaded.spec.n} per input)", markup=False)


@jobs_app.command("run")
def run(
    ctx: typer.Context,
    spec: SpecPath,
    write_outputs: Annotated[
        bool,
        typer.Option(
            "--outputs/--no-outputs",
            "--export/--no-export",  # the old name, for one release
            help="write the results to the spec's outputs when done",
        ),
    ] = True,
    executor: Annotated[
        ExecutorChoice, typer.Option(help="where items run: this process, or Ray Data actors (extra 'ray')")
    ] = ExecutorChoice.in_process,
    ray_actors: Annotated[int, typer.Option(min=1, max=1024, help="Ray: actors, each with its model")] = 1,
    ray_gpus: Annotated[float, typer.Option(min=0, max=64, help="Ray: GPUs per actor")] = 0.0,
    run_id: Annotated[
        int | None,
        typer.Option(
            "--run",
            min=1,
            help="work on this run only (more workers joining it); never starts another run",
        ),
    ] = None,
) -> None:
    """Run a job: resume its unfinished run of the same spec, or start one; items already stored
    (same idempotency key) are skipped. With --run N, work on run N only: extra workers join a
    run this way, and one that joins after the run completed does nothing."""
    from aigc.core.jobs.exporter import ExportSummary, export_run
    from aigc.core.jobs.runner import join_run, start_run, work
    from aigc.storage.runs import progress

    loaded = _load(spec)
    chosen = _executor(executor, ray_actors, ray_gpus)
    engine = state(ctx).engine
    try:
        started = start_run(engine, loaded) if run_id is None else join_run(engine, loaded, run_id)
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None
    except NotFoundError as error:
        raise fail(f"--run: {error}", code=2) from None
    assert started is not None  # only scheduled firings can find their run taken
    before = progress(engine.store, started.run_id)
    verb = "joining" if run_id is not None else "resuming" if started.resumed else "started"
    console.print(
        f"{verb} run {started.run_id} of job {loaded.spec.name!r}: {before.total} items", markup=False
    )
    with _progress_bar() as bar:
        task = bar.add_task("items", total=before.total, completed=before.finished, counts=_counts(before))
        counts = {"accepted": before.accepted, "rejected": before.rejected, "failed": before.failed}

        def advance(outcome: ItemOutcome) -> None:
            if outcome.outcome in counts:
                counts[outcome.outcome] += 1
                bar.update(task, advance=1, counts=_format_counts(counts))

        outputs = loaded.spec.outputs if write_outputs else None
        exported: list[ExportSummary] = []
        try:
            with step_progress(bar, "steps of the current batch", counts=""):
                final = work(
                    engine,
                    loaded.spec,
                    started.run_id,
                    on_item=advance,
                    executor=chosen,
                    export=None
                    if outputs is None
                    else lambda run_id: exported.append(
                        export_run(engine.store, run_id, outputs, loaded.base_dir)
                    ),
                )
        except OSError as error:
            raise fail(
                f"writing the outputs of run {started.run_id} failed: {error}; the run stays open, run "
                "the job again to write them"
            ) from None
    console.print(run_table([final], title=f"run {final.run_id}"))
    for summary in exported:
        console.print(
            f"wrote {summary.samples} samples and {summary.files} files: {summary.records_url}",
            markup=False,
        )
    if final.status != "completed":
        raise typer.Exit(1)


def _executor(kind: ExecutorChoice, actors: int, gpus: float) -> Executor | None:
    if kind is ExecutorChoice.in_process:
        return None
    try:
        import ray  # noqa: F401
    except ImportError:
        raise fail("the ray executor needs the 'ray' extra: pip install 'aigc[ray]'", code=2) from None
    from aigc.core.jobs.ray_executor import RayExecutor, RayOptions

    return RayExecutor(RayOptions(actors=actors, gpus_per_actor=gpus))


@jobs_app.command("status")
def status(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="run id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Items of one run by status, and its samples by verdict."""
    from aigc.storage.runs import progress

    try:
        current = progress(state(ctx).engine.store, run_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(current.__dict__)
    else:
        console.print(run_table([current], title=f"run {run_id}"))


@jobs_app.command("list")
def list_runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many runs")] = 20,
) -> None:
    """The newest runs, with their progress."""
    from aigc.storage.runs import recent_runs

    console.print(run_table(recent_runs(state(ctx).engine.store, limit), title="job runs"))


@jobs_app.command("cancel")
def cancel(ctx: typer.Context, run_id: Annotated[int, typer.Argument(help="run id")]) -> None:
    """Cancel a run: its workers stop after the items they hold; nothing stored is removed."""
    from aigc.storage.runs import cancel as cancel_run

    try:
        now = cancel_run(state(ctx).engine.store, run_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    console.print(f"run {run_id}: {now}", markup=False)


def run_table(rows: list[RunProgress], title: str) -> Table:
    """One line per run: job, status, item counts and verdicts."""
    columns = (
        "run",
        "job",
        "status",
        "items",
        "done",
        "pending",
        "running",
        "failed",
        "accepted",
        "rejected",
    )
    return simple_table(
        title,
        columns,
        [
            [str(row.run_id), row.job, row.status]
            + [
                str(n)
                for n in (
                    row.total,
                    row.done,
                    row.pending,
                    row.running,
                    row.failed,
                    row.accepted,
                    row.rejected,
                )
            ]
            for row in rows
        ],
    )


def _counts(current: RunProgress) -> str:
    return _format_counts(
        {"accepted": current.accepted, "rejected": current.rejected, "failed": current.failed}
    )


def _format_counts(counts: dict[str, int]) -> str:
    return (
        f"[green]{counts['accepted']} accepted[/] [yellow]{counts['rejected']} rejected[/] "
        f"[red]{counts['failed']} failed[/]"
    )


class ItemRateColumn(ProgressColumn):
    """Items per second, averaged over Rich's speed window."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- items/s" if speed is None else f"{speed:.1f} items/s", style="cyan")


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[counts]}"),
        ItemRateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
