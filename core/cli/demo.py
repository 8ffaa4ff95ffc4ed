"""``aigc demo``: the main job — a showcase of every installed generator, evaluated and stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from aigc.core.cli.render import add_plain_row, score_text
from aigc.core.cli.showcase import write_showcase
from aigc.core.cli.state import console, errors, fail, state
from aigc.core.errors import InvalidRequestError, PluginLoadError
from aigc.core.plugins import PluginRegistry
from aigc.core.schemas import GenerationResult
from aigc.core.specs import EvaluatorSpec

if TYPE_CHECKING:
    from aigc.core.engine import Engine


def demo_requests(
    registry: PluginRegistry, seed: int, samples: int | None, usable: Callable[[EvaluatorSpec], bool] = bool
) -> list[dict[str, Any]]:
    """One request per generator example, with every item-level evaluator that accepts the
    generator's output and is ``usable`` (set-level ones need larger sets than the examples draw)."""
    requests: list[dict[str, Any]] = []
    empty: dict[str, Any] = {}
    for spec in registry.generators.values():
        if not spec.examples and spec.prompt == "required":
            continue  # nothing to show without configuration (e.g. onnx-causal-lm before `aigc models add`)
        evaluators = [
            e.name
            for e in registry.evaluators.values()
            if e.scope == "item" and set(e.media_types) & set(spec.media_types) and usable(e)
        ]
        for example in spec.examples or (empty,):
            request = {"n": 4, **example, "generator": spec.name, "seed": seed, "evaluators": evaluators}
            if samples is not None:
                request["n"] = samples
            requests.append(request)
    return requests


def _question(request: dict[str, Any]) -> str | None:
    """The prompt, or the last user message of a conversation."""
    users = [m["content"] for m in request.get("messages") or [] if m["role"] == "user"]
    return request.get("prompt") or (users[-1] if users else None)


def _describe(request: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in request.get("options", {}).items()]
    if question := _question(request):
        parts.insert(0, repr(question if len(question) <= 60 else question[:57] + "..."))
    return " ".join(parts) or "defaults"


def loadable_evaluators(engine: Engine, registry: PluginRegistry) -> tuple[set[str], dict[str, str]]:
    """Names of the item-level evaluators that load, and why each of the others does not."""
    loadable: set[str] = set()
    failures: dict[str, str] = {}
    for spec in registry.evaluators.values():
        if spec.scope != "item":
            continue
        try:
            engine.evaluator(spec)
            loadable.add(spec.name)
        except PluginLoadError as error:
            failures[spec.name] = str(error)
    return loadable, failures


def _print_answers(results: list[tuple[dict[str, Any], GenerationResult]]) -> None:
    """The question and the first answer of each text request, in full (what a reader judges)."""
    for request, result in results:
        if result.status == "failed" or not result.generations:
            continue
        generation = result.generations[0]
        text = generation.artifacts[0].text if generation.artifacts else None
        if text is None:
            continue
        title = f"{request['generator']} #{generation.id} ({generation.status})"
        body = Text(f"Q: {_question(request) or ''}\n\n", style="bold")
        body.append(text.strip(), style="")
        console.print(Panel(body, title=escape(title), title_align="left"))


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="seed of the first sample of every request")] = 0,
    samples: Annotated[
        int | None, typer.Option("-n", help="samples per request (default: the example's)")
    ] = None,
) -> None:
    """Generate a showcase with every installed generator, evaluate it, store it and show where it is."""
    cli = state(ctx)
    engine = cli.engine
    loadable, unusable = loadable_evaluators(engine, cli.registry)
    for name, reason in sorted(unusable.items()):
        errors.print(f"[yellow]not evaluating with {escape(name)}[/]: {escape(reason)}", highlight=False)
    requests = demo_requests(cli.registry, seed, samples, lambda e: e.name in loadable)
    if not requests:
        raise fail("no generators are installed (see `aigc plugins` for load errors)")
    table = Table(title="aigc demo")
    for column in ("generator", "request", "samples", "accepted", "mean score", "time (ms)"):
        table.add_column(column)
    by_generator: dict[str, list[GenerationResult]] = defaultdict(list)
    answers: list[tuple[dict[str, Any], GenerationResult]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("generating", total=len(requests))
        for request in requests:
            progress.update(task, description=escape(f"{request['generator']} {_describe(request)}"))
            try:
                result = engine.generate(request)
            except InvalidRequestError as error:
                errors.print(
                    f"[yellow]skipped[/] {escape(request['generator'])} example: {escape(str(error))}"
                )
                progress.advance(task)
                continue
            by_generator[request["generator"]].append(result)
            if cli.registry.generators[request["generator"]].chat:
                answers.append((request, result))
            scores = [g.score for g in result.generations if g.score is not None]
            failure = Text(f"failed: {result.error or ''}", style="red")
            accepted = sum(g.status == "accepted" for g in result.generations)
            add_plain_row(
                table,
                (
                    request["generator"],
                    _describe(request),
                    str(len(result.generations)),
                    f"{accepted}" if result.status != "failed" else failure,
                    score_text(sum(scores) / len(scores) if scores else None),
                    f"{result.timings.get('total_ms', 0):.0f}",
                ),
            )
            progress.advance(task)
    console.print(table)
    _print_answers(answers)
    showcase = Path(cli.settings.data_dir) / "demo"
    for generator, results in by_generator.items():
        written = write_showcase(engine.store, generator, results, showcase)
        sheet = [p for p in written if p.name == "sheet.png"]
        console.print(
            f"{generator}: {len(written)} files in {showcase / generator}"
            + (f" (contact sheet: {sheet[0]})" if sheet else ""),
            markup=False,
        )
    console.print(
        f"database: {cli.settings.resolved_database_url}\nblobs:    {cli.settings.resolved_blob_url}",
        markup=False,
    )
    console.print(
        "next: `aigc results list`, `aigc results show ID`, `aigc feedback ARTIFACT_ID --rating up`, "
        "`aigc dump --output results.jsonl`"
    )
