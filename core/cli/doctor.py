"""``aigc doctor``: check the installation; exit code 1 when something is broken."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from aigc.core.cli.render import simple_table
from aigc.core.cli.state import console, print_json, state

STYLE = {"ok": "green", "info": "white", "warning": "yellow", "broken": "bold red"}


def doctor(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check versions, execution providers, plugins, model files, database and data folder."""
    from aigc.core.doctor import diagnose, healthy

    cli = state(ctx)
    findings = diagnose(cli.settings, cli.registry)
    if as_json:
        print_json({"healthy": healthy(findings), "findings": [asdict(f) for f in findings]})
    else:
        rows = ((f.check, f.subject, Text(f.status, style=STYLE[f.status]), f.detail) for f in findings)
        console.print(simple_table("aigc doctor", ("check", "subject", "status", "detail"), rows))
        broken = sum(f.status == "broken" for f in findings)
        console.print("[green]healthy[/]" if not broken else f"[bold red]{broken} problem(s) found[/]")
    if not healthy(findings):
        raise typer.Exit(1)
