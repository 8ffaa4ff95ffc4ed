"""``aigc generate``: run one request and show what was stored."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aigc.core.cli.options import evaluator_refs, parse_json_or_file, parse_pairs
from aigc.core.cli.render import generations_table, result_summary
from aigc.core.cli.state import console, errors, fail, print_json, state
from aigc.core.cli.step_progress import step_progress
from aigc.core.errors import InvalidRequestError
from aigc.core.specs import AudioChunk

if TYPE_CHECKING:
    from aigc.core.engine import Engine
    from aigc.core.plugins import PluginRegistry
    from aigc.core.schemas import GenerationResult

STEP_COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def generate(
    ctx: typer.Context,
    generator: Annotated[str, typer.Argument(help="generator name (see `aigc plugins`)")],
    prompt: Annotated[str | None, typer.Argument(help="prompt, for generators that take one")] = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="generator option key=value (JSON values)")
    ] = None,
    n: Annotated[int, typer.Option("-n", help="number of samples")] = 1,
    best_of: Annotated[
        int, typer.Option(help="candidates per sample: keep the best accepted one, store all")
    ] = 1,
    seed: Annotated[int | None, typer.Option(help="seed of the first sample; sample i uses seed+i")] = None,
    evaluate: Annotated[
        list[str] | None, typer.Option("--evaluate", "-e", help="evaluator to run (repeatable)")
    ] = None,
    evaluator_option: Annotated[
        list[str] | None,
        typer.Option(
            "--evaluator-option",
            "-E",
            help="evaluator option evaluator.key=value (JSON values; runs that evaluator too)",
        ),
    ] = None,
    policy: Annotated[str | None, typer.Option(help="acceptance policy as JSON or @file.json")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the stored result as JSON")] = False,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream", help="print text as it is generated, or each sentence's length of speech (n=1)"
        ),
    ] = False,
) -> None:
    """Generate samples, evaluate them, apply the policy and store everything."""
    if stream and as_json:
        raise typer.BadParameter("use either --stream or --json", param_hint="--stream")
    registry = state(ctx).registry
    if generator not in registry.generators and (failure := registry.failure_of(generator)):
        raise fail(
            f"generator plugin {generator!r} failed to load: {failure.summary} "
            f"(`aigc plugins {generator}` shows the traceback)",
            code=2,
        )
    request = {
        "generator": generator,
        "prompt": prompt,
        "options": parse_pairs(option),
        "n": n,
        "best_of": best_of,
        "seed": seed,
        "evaluators": evaluator_refs(evaluate, evaluator_option),
        "policy": parse_json_or_file(policy, "--policy"),
    }
    try:
        if stream:
            result = echo_stream(state(ctx).engine, request)
        else:
            with Progress(*STEP_COLUMNS, console=errors, transient=True) as bar, step_progress(bar):
                result = state(ctx).engine.generate(request)
    except InvalidRequestError as error:
        raise fail(str(error) + _failed_plugins_note(error, registry), code=2) from None
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        console.print(generations_table(result.generations, title=f"{generator}"))
        console.print(result_summary(result))
    if result.status == "failed":
        raise typer.Exit(1)


def _failed_plugins_note(error: InvalidRequestError, registry: PluginRegistry) -> str:
    """A hint naming the plugins that failed to load, when a generator or evaluator was not found."""
    named = any(str(e["field"]).startswith(("generator", "evaluators")) for e in error.errors)
    failed = sorted({e.plugin for e in registry.errors})
    if not named or not failed:
        return ""
    return f"\nplugins that failed to load: {', '.join(failed)} (`aigc plugins NAME` shows why)"


def echo_stream(engine: Engine, request: dict[str, Any]) -> GenerationResult:
    """Echo a streamed request as it comes and return the stored result: text to stdout, and a
    line per piece of audio (its length) to stderr."""
    chunks = engine.stream(request)
    for chunk in chunks:
        if isinstance(chunk, AudioChunk):
            errors.print(f"streamed {chunk.seconds:.2f} s of audio", highlight=False)
            continue
        sys.stdout.write(chunk)
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    assert chunks.result is not None  # set once the chunks are exhausted
    return chunks.result
