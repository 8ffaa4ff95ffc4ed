"""``aigc plugins`` and ``aigc models``: what is installed, and the model files behind it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from aigc.core.cli.render import simple_table
from aigc.core.cli.state import console, print_json, state
from aigc.core.model_files import installed_model_rows, model_file_rows, registered_model_rows
from aigc.core.option_docs import describe_options
from aigc.core.plugins import PluginRegistry
from aigc.core.specs import EvaluatorSpec, GeneratorSpec


def _option_lines(options: type[BaseModel]) -> str:
    lines = []
    for o in describe_options(options):
        limits = " ".join(f"{k}={v}" for k, v in o["limits"].items())
        lines.append(f"{o['name']} ({o['type']}, default {o['default']!r}{', ' + limits if limits else ''})")
    return "\n".join(lines) or "-"


def _spec_json(spec: GeneratorSpec | EvaluatorSpec, registry: PluginRegistry, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": spec.name,
        "version": spec.version,
        "plugin": registry.owner_of(kind, spec.name),
        "media_types": list(spec.media_types),
        "description": spec.description,
        "options": describe_options(spec.options),
    }
    if isinstance(spec, GeneratorSpec):
        data |= {"modality": spec.modality, "prompt": spec.prompt}
    return data


def plugins(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Installed generators and evaluators, and plugins that failed to load."""
    registry = state(ctx).registry
    generators = [_spec_json(s, registry, "generator") for s in registry.generators.values()]
    evaluators = [_spec_json(s, registry, "evaluator") for s in registry.evaluators.values()]
    failures = [
        {"plugin": e.plugin, "stage": e.stage, "error": f"{e.error_type}: {e.message}"}
        for e in registry.errors
    ]
    if as_json:
        print_json({"generators": generators, "evaluators": evaluators, "errors": failures})
        return
    console.print(
        simple_table(
            "generators",
            ("name", "version", "modality", "plugin", "options"),
            (
                (
                    g.name,
                    g.version,
                    g.modality,
                    registry.owner_of("generator", g.name),
                    _option_lines(g.options),
                )
                for g in registry.generators.values()
            ),
        )
    )
    console.print(
        simple_table(
            "evaluators",
            ("name", "version", "accepts", "plugin", "options"),
            (
                (
                    e.name,
                    e.version,
                    ", ".join(e.media_types),
                    registry.owner_of("evaluator", e.name),
                    _option_lines(e.options),
                )
                for e in registry.evaluators.values()
            ),
        )
    )
    if failures:
        rows = ((f["plugin"], f["stage"], f["error"]) for f in failures)
        console.print(simple_table("[red]plugins that failed to load[/]", ("plugin", "stage", "error"), rows))


def models(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Model files of the installed plugins, of models installed into the data folder (`aigc models
    install`) and of models registered by path (`aigc models add`): sha256 checked against the
    manifest, providers seen."""
    if ctx.invoked_subcommand is not None:
        return
    cli = state(ctx)
    seen = {(m.file, m.sha256): list(m.providers) for m in cli.engine.store.list_models()}
    rows = (
        model_file_rows(cli.registry, seen)
        + installed_model_rows(cli.settings.data_dir, seen)
        + registered_model_rows(cli.settings.resolved_models_file, seen)
    )
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    columns = ("plugin", "file", "size", "sha256", "verified", "providers seen")
    console.print(
        simple_table(
            "models",
            columns,
            (
                (
                    r.plugin,
                    r.file,
                    f"{r.size:,}",
                    r.sha256[:16],
                    "[green]ok[/]" if r.verified else f"[red]{r.problem}[/]",
                    ", ".join(r.providers),
                )
                for r in rows
            ),
        )
    )
