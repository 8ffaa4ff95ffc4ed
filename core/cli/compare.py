"""``aigc compare``: the same held-out prompts, seeds and evaluators through several generators or
model versions; every sample is stored, and the report compares them (``aigc.core.comparison``)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from aigc.core.cli.options import evaluator_refs, parse_json_or_file, parse_pairs
from aigc.core.cli.render import simple_table
from aigc.core.cli.state import console, errors, fail, print_json, state
from aigc.core.comparison import Comparison
from aigc.core.errors import AigcError

if TYPE_CHECKING:
    from aigc.core.engine import Engine
    from aigc.core.schemas import GenerationResult

MAX_PROMPTS = 10_000


def read_prompts(path: Path) -> list[dict[str, Any]]:
    """Each line of a JSON Lines file as a request input: ``{"prompt": ...}`` or ``{"messages": [...]}``
    (a line that is a JSON string is a prompt)."""
    if not path.is_file():
        raise fail(f"prompts file {path} does not exist")
    inputs: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise fail(f"{path}:{number}: not JSON ({error.msg})") from None
        if isinstance(value, str):
            value = {"prompt": value}
        if not isinstance(value, dict) or not ({"prompt", "messages"} & value.keys()):
            raise fail(f"{path}:{number}: expected a string or an object with prompt or messages")
        inputs.append({key: value[key] for key in ("prompt", "messages") if key in value})
    if not inputs or len(inputs) > MAX_PROMPTS:
        raise fail(f"{path} must hold 1 to {MAX_PROMPTS} prompts, it holds {len(inputs)}")
    return inputs


def _label(item: dict[str, Any]) -> str:
    if "prompt" in item:
        return str(item["prompt"])
    return json.dumps(item["messages"], ensure_ascii=False)


def compare(
    ctx: typer.Context,
    prompts: Annotated[
        Path, typer.Argument(help="JSON Lines of prompts (strings, or prompt/messages objects)")
    ],
    target: Annotated[
        list[str],
        typer.Option(
            "--target", "-t", help="GENERATOR or GENERATOR:MODEL (MODEL may be NAME@VERSION); at least two"
        ),
    ],
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="generator option key=value for every target")
    ] = None,
    evaluate: Annotated[
        list[str] | None, typer.Option("--evaluate", "-e", help="evaluator to run (repeatable)")
    ] = None,
    evaluator_option: Annotated[
        list[str] | None,
        typer.Option("--evaluator-option", "-E", help="evaluator option evaluator.key=value"),
    ] = None,
    policy: Annotated[str | None, typer.Option(help="acceptance policy as JSON or @file.json")] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="seed of prompt 0; prompt i uses seed+i on every target")
    ] = 0,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="requests in flight at once (chat models decode them together; same results)"
        ),
    ] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Run held-out prompts through two or more generators or model versions with the same seeds and
    evaluators, store every sample, and report each target's pass rate, mean scores and the
    prompts x targets matrix."""
    from aigc.core.comparison import build_matrix

    if len(set(target)) < 2:
        raise fail("compare needs at least two different --target")
    inputs = read_prompts(prompts)
    common = parse_pairs(option)
    evaluators = evaluator_refs(evaluate, evaluator_option)
    chosen_policy = parse_json_or_file(policy, "--policy")
    requests: list[tuple[int, str, dict[str, Any]]] = []
    for name in dict.fromkeys(target):
        generator, _, model = name.partition(":")
        options = {**common, **({"model": model} if model else {})}
        for index, item in enumerate(inputs):
            request = {
                "generator": generator,
                **item,
                "options": options,
                "seed": seed + index,
                "evaluators": evaluators,
                "policy": chosen_policy,
            }
            requests.append((index, name, request))
    results = _generate_all(state(ctx).engine, requests, concurrency)
    samples = [
        (index, name, result.generations[0])
        for (index, name, _), result in zip(requests, results, strict=True)
    ]
    report = build_matrix([_label(item) for item in inputs], list(dict.fromkeys(target)), samples)
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    _print(report)


def _generate_all(
    engine: Engine, requests: list[tuple[int, str, dict[str, Any]]], concurrency: int
) -> list[GenerationResult]:
    """Each request's result, in order, ``concurrency`` at a time, with a progress bar; the first
    request that fails stops the comparison (naming its target and prompt) and cancels the rest."""
    with (
        Progress(
            TextColumn("comparing"), BarColumn(), MofNCompleteColumn(), console=errors, transient=True
        ) as bar,
        ThreadPoolExecutor(concurrency, thread_name_prefix="aigc:compare") as pool,
    ):
        task = bar.add_task("compare", total=len(requests))
        futures = {pool.submit(engine.generate, request): at for at, (_, _, request) in enumerate(requests)}
        results: dict[int, GenerationResult] = {}
        for future in as_completed(futures):
            at = futures[future]
            try:
                results[at] = future.result()
            except AigcError as error:
                for pending in futures:
                    pending.cancel()
                index, name, _ = requests[at]
                raise fail(f"{name}, prompt {index}: {error}", code=2) from None
            bar.advance(task)
    return [results[at] for at in range(len(requests))]


def _print(report: Comparison) -> None:
    metrics = sorted({m for summary in report.summary for m in summary.mean_scores})
    console.print(
        simple_table(
            "targets",
            ["target", "samples", "pass rate", "mean score", *metrics],
            [
                [
                    s.target,
                    str(s.samples),
                    f"{s.pass_rate:.0%}",
                    "-" if s.mean_score is None else f"{s.mean_score:.3f}",
                    *(f"{s.mean_scores[m]:.3f}" if m in s.mean_scores else "-" for m in metrics),
                ]
                for s in report.summary
            ],
        )
    )
    console.print(
        simple_table(
            "prompts x targets (status, score, generation id)",
            ["prompt", *report.targets],
            [
                [
                    row.prompt,
                    *(
                        f"{c.status} {'-' if c.score is None else f'{c.score:.3f}'} #{c.generation_id}"
                        for c in row.cells
                    ),
                ]
                for row in report.matrix
            ],
        )
    )
