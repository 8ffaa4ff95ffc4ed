"""``aigc results``, ``aigc feedback`` and ``aigc export``: reading and annotating what was stored."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from aigc.core.cli.render import generation_detail, generations_table, result_summary
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.errors import InvalidRequestError, NotFoundError
from aigc.core.schemas import FeedbackInput
from aigc.core.validation import validate_model
from aigc.storage.dataset import DEFAULT_MIN_RATING

results_app = typer.Typer(help="List and inspect stored generations.", no_args_is_help=True)
RATINGS = {"up": 1, "down": -1, "+1": 1, "-1": -1}


@results_app.command("list")
def list_results(
    ctx: typer.Context,
    generator: Annotated[str | None, typer.Option(help="only this generator")] = None,
    status: Annotated[str | None, typer.Option(help="accepted, rejected or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="rows per page")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="rows to skip")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stored generations, newest first."""
    store = state(ctx).engine.store
    rows = store.list_generations(generator=generator, status=status, limit=limit, offset=offset)
    if as_json:
        print_json([g.model_dump(mode="json") for g in rows])
        return
    total = store.count_generations(generator=generator, status=status)
    console.print(generations_table(rows, title=f"generations {offset + 1}-{offset + len(rows)} of {total}"))


@results_app.command("show")
def show_result(
    ctx: typer.Context,
    generation_id: Annotated[int, typer.Argument(help="generation id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
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
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One request: its samples, and the set-level evaluations of all of them together."""
    try:
        result = state(ctx).engine.store.get_result(request_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        console.print(generations_table(result.generations))
        console.print(result_summary(result))


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


def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL file (default: stdout)")
    ] = None,
    status: Annotated[str | None, typer.Option(help="only accepted, rejected or failed")] = None,
    generator: Annotated[str | None, typer.Option(help="only this generator")] = None,
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
    count = _write_jsonl(store.export_records(status=status, generator=generator), output)
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
