"""``aigc results``, ``aigc feedback`` and ``aigc dump``: reading, annotating and writing out what was
stored."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from aigc.core.cli.render import generation_detail, generations_table, requests_table, result_summary
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.errors import InvalidRequestError, NotFoundError
from aigc.core.schemas import FeedbackInput
from aigc.core.validation import validate_model
from aigc.storage.dataset import DEFAULT_MIN_RATING
from aigc.storage.filters import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, GenerationFilter, RequestFilter

results_app = typer.Typer(help="List and inspect stored generations and requests.", no_args_is_help=True)
RATINGS = {"up": 1, "down": -1, "+1": 1, "-1": -1}
F = TypeVar("F", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
Generator = Annotated[str | None, typer.Option(help="only this generator")]
Limit = Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="rows per page")]
Offset = Annotated[int, typer.Option(min=0, max=MAX_OFFSET, help="rows to skip")]
AsJson = Annotated[bool, typer.Option("--json")]


def _checked(model: type[F], values: dict[str, Any]) -> F:
    try:
        return validate_model(model, values)
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None


@results_app.command("list")
def list_results(
    ctx: typer.Context,
    generator: Generator = None,
    status: Annotated[str | None, typer.Option(help="accepted, rejected or failed")] = None,
    min_score: Annotated[float | None, typer.Option(help="lowest policy score (0 to 1)")] = None,
    metric: Annotated[
        str | None, typer.Option(help="evaluated on this metric (name or evaluator/name)")
    ] = None,
    min_metric_score: Annotated[
        float | None, typer.Option(help="with at least this score on --metric")
    ] = None,
    job_run: Annotated[int | None, typer.Option(help="only this job run's")] = None,
    request: Annotated[int | None, typer.Option(help="only this request's")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    as_json: AsJson = False,
) -> None:
    """Stored generations, newest first. Requests that failed before storing any sample are listed
    by ``aigc results requests --status failed``."""
    where = _checked(
        GenerationFilter,
        {
            "generator": generator,
            "status": status,
            "min_score": min_score,
            "metric": metric,
            "min_metric_score": min_metric_score,
            "job_run_id": job_run,
            "request_id": request,
        },
    )
    store = state(ctx).engine.store
    rows = store.list_generations(where, limit=limit, offset=offset)
    _print_page(
        rows, partial(store.count_generations, where), generations_table, "generations", offset, as_json
    )
    if status == "failed" and not as_json:
        failed = store.count_requests(RequestFilter(generator=generator, status="failed"))
        if failed:
            console.print(f"{failed} failed requests stored no sample: aigc results requests --status failed")


@results_app.command("requests")
def list_requests(
    ctx: typer.Context,
    generator: Generator = None,
    status: Annotated[str | None, typer.Option(help="completed, or failed (with its error)")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    as_json: AsJson = False,
) -> None:
    """Stored requests, newest first: status, samples accepted and, for failed ones, the error."""
    where = _checked(RequestFilter, {"generator": generator, "status": status})
    store = state(ctx).engine.store
    rows = store.list_requests(where, limit=limit, offset=offset)
    _print_page(rows, partial(store.count_requests, where), requests_table, "requests", offset, as_json)


def _print_page(
    rows: Sequence[R],
    count: Callable[[], int],
    table: Callable[[Sequence[R], str], Table],
    noun: str,
    offset: int,
    as_json: bool,
) -> None:
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
    else:
        console.print(table(rows, f"{noun} {offset + 1}-{offset + len(rows)} of {count()}"))


@results_app.command("show")
def show_result(
    ctx: typer.Context,
    generation_id: Annotated[int, typer.Argument(help="generation id")],
    as_json: AsJson = False,
) -> None:
    """One generation with its provenance, artifacts and evaluations."""
    try:
        generation = state(ctx).engine.store.get_generation(generation_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(generation.model_dump(mode="json"))
    else:
        console.print(generation_detail(generation))


@results_app.command("request")
def show_request(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="request id (`request #N` in `aigc generate`)")],
    as_json: AsJson = False,
) -> None:
    """One request: its status, its error with the traceback, its samples, and the set-level
    evaluations of them all."""
    store = state(ctx).engine.store
    try:
        result = store.get_request(request_id)
        error_traceback = store.get_traceback(request_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(result.model_dump(mode="json") | {"traceback": error_traceback})
        return
    if result.generations:
        console.print(generations_table(result.generations))
    console.print(result_summary(result))
    if error_traceback:
        console.print(Text(error_traceback, style="dim"))


def feedback(
    ctx: typer.Context,
    artifact_id: Annotated[int, typer.Argument(help="artifact id")],
    rating: Annotated[str, typer.Option(help="up, down, or 1-5")],
    label: Annotated[str | None, typer.Option(help="a short label, e.g. 'blurry'")] = None,
    comment: Annotated[str | None, typer.Option(help="free text")] = None,
    author: Annotated[str | None, typer.Option(help="who rated it")] = None,
) -> None:
    """Record a person's rating of an artifact."""
    value = RATINGS.get(rating, rating)
    try:
        data = validate_model(
            FeedbackInput,
            {
                "artifact_id": artifact_id,
                "rating": value,
                "label": label,
                "comment": comment,
                "author": author,
            },
        )
        stored = state(ctx).engine.store.add_feedback(data)
    except InvalidRequestError as error:
        raise fail(str(error), code=2) from None
    except NotFoundError as error:
        raise fail(str(error)) from None
    console.print(
        f"feedback #{stored.id} stored for artifact #{artifact_id} (rating {stored.rating})", markup=False
    )


def dump(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", help="JSONL file (default: stdout)")] = None,
    status: Annotated[str | None, typer.Option(help="only accepted, rejected or failed")] = None,
    generator: Generator = None,
    dataset: Annotated[
        Path | None,
        typer.Option(help="write a fine-tuning dataset here instead: accepted, well-rated prompt/completion"),
    ] = None,
    min_rating: Annotated[
        float, typer.Option(min=0, max=1, help="with --dataset: lowest mean rating kept (0 down .. 1 up)")
    ] = DEFAULT_MIN_RATING,
    require_rating: Annotated[
        bool, typer.Option(help="with --dataset: leave out texts nobody rated")
    ] = False,
) -> None:
    """Write stored generations with their metadata as JSON Lines, or (--dataset) fine-tuning examples."""
    store = state(ctx).engine.store
    if dataset is not None and (output is not None or status is not None):
        raise fail(
            "--dataset writes accepted generations to its own path; drop --output and --status", code=2
        )
    if dataset is not None:
        examples = store.export_dataset(
            generator=generator, min_rating=min_rating, require_rating=require_rating
        )
        console.print(f"{_write_jsonl(examples, dataset)} examples written to {dataset}", markup=False)
        return
    where = _checked(GenerationFilter, {"generator": generator, "status": status})
    count = _write_jsonl(store.export_records(where), output)
    if output:
        console.print(f"{count} generations written to {output}", markup=False)


def _write_jsonl(records: Iterable[dict[str, Any]], path: Path | None) -> int:
    handle = path.open("w", encoding="utf-8") if path else sys.stdout
    count = 0
    try:
        for record in records:
            handle.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if path:
            handle.close()
    return count
