"""Parsing ``-o key=value`` and ``-E evaluator.key=value`` pairs: values are JSON when they parse
as JSON, else strings."""

from __future__ import annotations

import json
from typing import Any

import typer


def parse_pairs(pairs: list[str] | None, hint: str = "-o/--option") -> dict[str, Any]:
    """``["label=3", "name=x"]`` → ``{"label": 3, "name": "x"}``; a bad pair is a usage error."""
    parsed: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint=hint)
        try:
            parsed[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            parsed[key.strip()] = raw
    return parsed


def evaluator_refs(names: list[str] | None, pairs: list[str] | None) -> list[dict[str, Any]]:
    """Evaluators to run from ``-e NAME`` and ``-E NAME.key=value`` (values as in ``-o``).

    Naming an option of an evaluator also runs it; the order is that of first mention.
    """
    hint = "-E/--evaluator-option"
    options: dict[str, dict[str, Any]] = {name: {} for name in names or []}
    for key, value in parse_pairs(pairs, hint).items():
        name, dot, field = key.partition(".")
        if not dot or not name or not field:
            raise typer.BadParameter(f"expected evaluator.key=value, got {key!r}", param_hint=hint)
        options.setdefault(name, {})[field] = value
    return [{"name": name, "options": values} for name, values in options.items()]


def parse_json_or_file(value: str | None, what: str) -> Any:
    """Inline JSON, or ``@path`` to a JSON file."""
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise typer.BadParameter(f"cannot read {value[1:]}: {error}", param_hint=what) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"not valid JSON: {error}", param_hint=what) from None
