"""``aigc plugins`` and ``aigc models``: what is installed, and the model files behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from aigc.core.cli.state import console, print_json, state
from aigc.core.plugins import PluginRegistry
from aigc.core.specs import EvaluatorSpec, GeneratorSpec

LIMIT_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "enum",
)


def describe_options(options: type[BaseModel]) -> list[dict[str, Any]]:
    """Each option's name, type, default, limits and description, from its JSON schema."""
    schema = options.model_json_schema()
    described = []
    for name, prop in schema.get("properties", {}).items():
        variants = prop.get("anyOf", [prop])  # an optional field is anyOf [its type, null]
        limits = {k: v[k] for v in variants for k in LIMIT_KEYS if k in v}
        kinds = [v.get("type", "") for v in variants]
        described.append(
            {
                "name": name,
                "type": "|".join(k for k in kinds if k) or "any",
                "default": prop.get("default"),
                "limits": limits,
                "description": prop.get("description", ""),
            }
        )
    return described


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
    table = Table(title="generators")
    for column in ("name", "version", "modality", "plugin", "options"):
        table.add_column(column, overflow="fold")
    for spec in registry.generators.values():
        table.add_row(
            spec.name,
            spec.version,
            spec.modality,
            registry.owner_of("generator", spec.name),
            _option_lines(spec.options),
        )
    console.print(table)
    table = Table(title="evaluators")
    for column in ("name", "version", "accepts", "plugin", "options"):
        table.add_column(column, overflow="fold")
    for ev in registry.evaluators.values():
        table.add_row(
            ev.name,
            ev.version,
            ", ".join(ev.media_types),
            registry.owner_of("evaluator", ev.name),
            _option_lines(ev.options),
        )
    console.print(table)
    if failures:
        table = Table(title="[red]plugins that failed to load[/]")
        for column in ("plugin", "stage", "error"):
            table.add_column(column, overflow="fold")
        for f in failures:
            table.add_row(f["plugin"], f["stage"], f["error"])
        console.print(table)


@dataclass(frozen=True)
class ModelFileRow:
    """One model file of an installed plugin, as ``aigc models`` shows it."""

    plugin: str
    file: str
    sha256: str
    size: int
    verified: bool
    problem: str | None
    providers: list[str]


def model_file_rows(registry: PluginRegistry, seen: dict[tuple[str, str], list[str]]) -> list[ModelFileRow]:
    """Every file in every installed plugin's manifest, checked against its sha256."""
    from aigc.core.manifest import load_manifest, verify_manifest

    rows = []
    specs: list[GeneratorSpec | EvaluatorSpec] = [
        *registry.generators.values(),
        *registry.evaluators.values(),
    ]
    for spec in specs:
        if spec.model_dir is None:
            continue
        try:
            manifest = load_manifest(spec.model_dir)
            problems = verify_manifest(spec.model_dir)
        except Exception as error:
            rows.append(ModelFileRow(spec.name, str(spec.model_dir), "", 0, False, str(error), []))
            continue
        for file, entry in manifest.files.items():
            providers = seen.get((file, entry.sha256), [])
            rows.append(
                ModelFileRow(
                    spec.name,
                    file,
                    entry.sha256,
                    entry.size,
                    problems[file] is None,
                    problems[file],
                    providers,
                )
            )
    return rows


def models(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Model files of the installed plugins: sha256 checked against the manifest, providers seen."""
    cli = state(ctx)
    seen = {(m.file, m.sha256): list(m.providers) for m in cli.engine.store.list_models()}
    rows = model_file_rows(cli.registry, seen)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = Table(title="models")
    for column in ("plugin", "file", "size", "sha256", "verified", "providers seen"):
        table.add_column(column, overflow="fold")
    for r in rows:
        verified = "[green]ok[/]" if r.verified else f"[red]{r.problem}[/]"
        table.add_row(r.plugin, r.file, f"{r.size:,}", r.sha256[:16], verified, ", ".join(r.providers))
    console.print(table)
