"""``aigc plugin new``: scaffold a third-party plugin package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape

from aigc.core.cli.state import console, fail
from aigc.core.errors import InvalidRequestError

plugin_app = typer.Typer(help="Write your own plugins.", no_args_is_help=True)


@plugin_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="generator or evaluator name: lowercase letters, digits, '-'")],
    kind: Annotated[
        Literal["generator", "evaluator"], typer.Option("--kind", help="what the plugin registers")
    ] = "generator",
    modality: Annotated[
        Literal["text", "image", "audio"],
        typer.Option("--modality", help="what the generator skeleton makes: text, PNG images or WAV sound"),
    ] = "text",
    directory: Annotated[Path, typer.Option("--dir", help="where to create aigc-NAME/")] = Path("."),
) -> None:
    """Scaffold an installable plugin package: pyproject with the `aigc` entry point, a skeleton
    with an Options model (importing only aigc.core.sdk), an export script template, conformance
    tests and a README."""
    from aigc.core.scaffold import new_plugin

    try:
        folder = new_plugin(name, kind, directory, modality)
    except InvalidRequestError as error:
        raise fail(str(error)) from None
    console.print(
        f"created [bold]{escape(str(folder))}[/]\n"
        f"next: cd {escape(str(folder))} && pip install -e '.\\[test]' && pytest && aigc plugins"
    )
