"""``aigc chat``: talk to a chat generator, answers streamed as they are written, every turn stored."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from aigc.core.cli.generate import echo_stream
from aigc.core.cli.options import evaluator_refs, parse_pairs
from aigc.core.cli.state import console, errors, fail, state
from aigc.core.errors import InvalidRequestError

if TYPE_CHECKING:
    from aigc.core.engine import Engine

COMMANDS = "/reset starts a new conversation, /exit (or an empty line, or Ctrl-D) leaves"


def _read(prompt: str, interactive: bool) -> str | None:
    """The user's next line, or None at the end of input."""
    try:
        line = console.input(prompt) if interactive else sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        return None
    if not interactive and not line:
        return None
    return line.rstrip("\n")


def _answer(engine: Engine, request: dict[str, Any]) -> str | None:
    """Stream one answer to stdout; the stored text (None if the request failed)."""
    result = echo_stream(engine, request)
    if result.status == "failed":
        errors.print(f"[red]failed:[/] {escape(result.error or '')}", highlight=False)
        return None
    generation = result.generations[0]
    note = f"#{generation.id} {generation.status}"
    if generation.score is not None:
        note += f", score {generation.score:.2f}"
    if generation.reasons:
        note += ": " + "; ".join(generation.reasons)
    errors.print(f"[dim]{escape(note)}[/]", highlight=False)
    return generation.artifacts[0].text


def chat(
    ctx: typer.Context,
    generator: Annotated[str, typer.Argument(help="a chat generator (see `aigc plugins`)")] = "smollm2",
    system: Annotated[str | None, typer.Option(help="system message that starts the conversation")] = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="generator option key=value (JSON values)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed of every answer (default: random)")] = None,
    evaluate: Annotated[
        list[str] | None,
        typer.Option("--evaluate", "-e", help="evaluator to run on each answer (repeatable)"),
    ] = None,
) -> None:
    """Chat with a generator: each line you type is a user message, the answer streams back, and
    the whole conversation so far is sent (and stored) with every turn. Reads stdin when it is not
    a terminal, one message per line."""
    cli = state(ctx)
    spec = cli.registry.generators.get(generator)
    if spec is None or not spec.chat:
        chat_generators = ", ".join(sorted(n for n, s in cli.registry.generators.items() if s.chat)) or "none"
        raise fail(f"{generator} is not a chat generator; chat generators: {chat_generators}")
    options, evaluators = parse_pairs(option), evaluator_refs(evaluate, None)
    opening = [{"role": "system", "content": system}] if system else []
    messages = list(opening)
    interactive = sys.stdin.isatty()
    if interactive:
        console.print(f"chatting with {escape(generator)}: {COMMANDS}", highlight=False)
    while (line := _read("[bold]you>[/] ", interactive)) is not None:
        if line.strip() in ("", "/exit", "/quit"):
            break
        if line.strip() == "/reset":
            messages = list(opening)
            continue
        messages.append({"role": "user", "content": line})
        request = {
            "generator": generator,
            "messages": messages,
            "options": options,
            "seed": seed,
            "evaluators": evaluators,
        }
        try:
            text = _answer(cli.engine, request)
        except InvalidRequestError as error:
            messages.pop()
            errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
            continue
        if text is None:
            messages.pop()
        else:
            messages.append({"role": "assistant", "content": text})
