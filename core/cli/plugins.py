"""``aigc plugins`` and ``aigc models``: what is installed, and the model files behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from aigc.core.cli.render import add_plain_row, simple_table
from aigc.core.cli.state import console, errors, fail, print_json, state
from aigc.core.doctor import stored_plugin_failures
from aigc.core.model_files import installed_model_rows, model_file_rows, registered_model_rows
from aigc.core.option_docs import describe_options
from aigc.core.plugins import PluginError, PluginRegistry
from aigc.core.specs import EvaluatorSpec, GeneratorSpec
from aigc.storage.views import PluginErrorRecord

RECENT_FAILURES = 10  # stored plugin failures listed by `aigc plugins`
SEARCHED_FAILURES = 200  # stored plugin failures `aigc plugins NAME` looks through for NAME's
MUSIC = {"audio/midi": "music", "text/x-note-names": "music"}  # media types whose modality is music


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
    else:
        data |= {"scope": spec.scope}
    return data


def _failure_json(error: PluginError | PluginErrorRecord) -> dict[str, Any]:
    data = {"plugin": error.plugin, "stage": error.stage, "error": f"{error.error_type}: {error.message}"}
    if isinstance(error, PluginErrorRecord):
        data["created_at"] = error.created_at.isoformat()
    return data


def _modality(spec: GeneratorSpec | EvaluatorSpec) -> str:
    if isinstance(spec, GeneratorSpec):
        return spec.modality
    return ",".join(sorted({MUSIC.get(m, m.split("/")[0]) for m in spec.media_types}))


def _summary(description: str) -> Text:
    line = description.strip().splitlines()[0] if description.strip() else "-"
    return Text(line, no_wrap=True, overflow="ellipsis")


def _listing(registry: PluginRegistry) -> Table:
    """One line per generator, evaluator and failed plugin: readable at 80 columns."""
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    table.add_column("name", no_wrap=True, style="cyan")
    table.add_column("kind", no_wrap=True)
    table.add_column("modality", no_wrap=True)
    table.add_column("summary")  # shrinks first; each summary stays one line, cut with "…"
    table.add_column("status", no_wrap=True)
    specs: list[tuple[str, GeneratorSpec | EvaluatorSpec]] = [
        *(("generator", g) for g in registry.generators.values()),
        *(("evaluator", e) for e in registry.evaluators.values()),
    ]
    for kind, spec in specs:
        add_plain_row(
            table, (spec.name, kind, _modality(spec), _summary(spec.description), Text("ok", "green"))
        )
    for error in registry.errors:
        add_plain_row(
            table, (error.plugin, "plugin", "-", _summary(error.summary), Text("failed", "bold red"))
        )
    return table


def _detail(spec: GeneratorSpec | EvaluatorSpec, registry: PluginRegistry, kind: str) -> Table:
    table = Table(show_header=False, box=box.SIMPLE, title=Text(f"{kind} {spec.name}"))
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    rows: dict[str, str] = {
        "version": spec.version,
        "plugin": registry.owner_of(kind, spec.name) or "-",
        "modality": _modality(spec),
        "media types": ", ".join(spec.media_types),
        "description": spec.description or "-",
    }
    if isinstance(spec, GeneratorSpec):
        rows["prompt"] = spec.prompt
    else:
        rows["scope"] = spec.scope
    for field, value in rows.items():
        add_plain_row(table, (field, value))
    for option in describe_options(spec.options):
        limits = " ".join(f"{k}={v}" for k, v in option["limits"].items())
        shown = f"{option['type']}, default {option['default']!r}{', ' + limits if limits else ''}"
        add_plain_row(
            table, (f"option {option['name']}", f"{shown}\n{option.get('description') or ''}".strip())
        )
    return table


def _print_failures(title: str, failures: Sequence[PluginError | PluginErrorRecord], traceback: bool) -> None:
    if not failures:
        return
    console.print(Text(title, style="bold red"))
    for failure in failures:
        when = f" at {failure.created_at:%Y-%m-%d %H:%M}" if isinstance(failure, PluginErrorRecord) else ""
        console.print(
            f"{failure.plugin}{when}, {failure.stage}: {failure.error_type}: {failure.message}",
            markup=False,
            highlight=False,
        )
        if traceback:
            console.print(failure.traceback.rstrip(), markup=False, highlight=False)


def _show_one(name: str, registry: PluginRegistry, stored: list[PluginErrorRecord], as_json: bool) -> None:
    """``aigc plugins NAME``: the options of generator or evaluator NAME (or of everything plugin
    NAME registers), why plugin NAME failed to load, and their recent stored failures."""
    specs = [
        (kind, spec)
        for kind, registered in (("generator", registry.generators), ("evaluator", registry.evaluators))
        for spec in registered.values()
    ]
    found = [(k, s) for k, s in specs if s.name == name] or [
        (k, s) for k, s in specs if registry.owner_of(k, s.name) == name
    ]
    load = [e for e in registry.errors if e.plugin == name]
    stages = tuple(f"{kind} {spec.name}:" for kind, spec in found)
    earlier = [e for e in stored if e.plugin == name or e.stage.startswith(stages)]
    if not found and not load:
        known = ", ".join(sorted({*registry.generators, *registry.evaluators, *registry.plugin_names}))
        raise fail(f"no generator, evaluator or plugin named {name!r}; installed: {known or 'none'}")
    if as_json:
        print_json(
            {
                "generators": [_spec_json(s, registry, k) for k, s in found if k == "generator"],
                "evaluators": [_spec_json(s, registry, k) for k, s in found if k == "evaluator"],
                "errors": [_failure_json(e) | {"traceback": e.traceback} for e in load],
                "recent_failures": [_failure_json(e) | {"traceback": e.traceback} for e in earlier],
            }
        )
    else:
        for kind, spec in found:
            console.print(_detail(spec, registry, kind))
        _print_failures(f"plugin {name} failed to load", load, traceback=True)
        _print_failures("recent failures (newest first)", earlier, traceback=True)
    if load:
        raise typer.Exit(1)


def plugins(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="a generator, evaluator or plugin: show its options, or why it failed"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Installed generators and evaluators, plugins that failed to load (exit code 1 when one
    did) and recent plugin failures; `aigc plugins NAME` shows one in full, options included."""
    cli = state(ctx)
    registry = cli.registry
    if name is not None:
        _show_one(name, registry, stored_plugin_failures(cli.settings, SEARCHED_FAILURES), as_json)
        return
    stored = stored_plugin_failures(cli.settings, RECENT_FAILURES)
    if as_json:
        print_json(
            {
                "generators": [_spec_json(s, registry, "generator") for s in registry.generators.values()],
                "evaluators": [_spec_json(s, registry, "evaluator") for s in registry.evaluators.values()],
                "errors": [_failure_json(e) for e in registry.errors],
                "recent_failures": [_failure_json(e) for e in stored],
            }
        )
    else:
        console.print(_listing(registry))
        _print_failures(
            "recent failures (newest first; `aigc plugins NAME` shows the traceback)", stored, traceback=False
        )
        if registry.errors:
            errors.print(
                f"{len(registry.errors)} plugin(s) failed to load: `aigc plugins NAME` shows why",
                style="bold red",
                markup=False,
            )
    if registry.errors:
        raise typer.Exit(1)


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
                    Text("ok", "green") if r.verified else Text(r.problem or "", "red"),
                    ", ".join(r.providers),
                )
                for r in rows
            ),
        )
    )
