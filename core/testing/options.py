"""Every option has limits and a description: what the conformance suite asks of an ``Options`` model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from aigc.core.option_docs import describe_options

_LOWER = ("minimum", "exclusiveMinimum")
_UPPER = ("maximum", "exclusiveMaximum")


def _bound_problems(kind: str, limits: dict[str, Any]) -> list[str]:
    if "enum" in limits or "const" in limits:
        return []
    if kind in ("integer", "number"):
        missing = [
            side for side, keys in (("lower", _LOWER), ("upper", _UPPER)) if not set(keys) & set(limits)
        ]
        return [f"has no {side} limit" for side in missing]
    if kind == "string" and "maxLength" not in limits:
        return ["has no maximum length"]
    if kind == "array" and "maxItems" not in limits:
        return ["has no maximum number of items"]
    if kind in ("object", "any", ""):
        return [f"has type {kind or 'any'}, which cannot be limited: use numbers, strings, lists or enums"]
    return []


def option_problems(options: type[BaseModel]) -> list[str]:
    """``"<option>: <problem>"`` for every option without a description or without limits."""
    problems = []
    for option in describe_options(options):
        name = option["name"]
        if not option["description"].strip():
            problems.append(f"{name}: has no description")
        for kind in option["type"].split("|"):
            if kind != "null":
                problems += [f"{name}: {p}" for p in _bound_problems(kind, option["limits"])]
        if option["item_type"]:
            for kind in option["item_type"].split("|"):
                problems += [f"{name} items: {p}" for p in _bound_problems(kind, option["item_limits"])]
    return problems


def beyond_limits(options: type[BaseModel]) -> dict[str, Any]:
    """For each numeric option with an upper limit, a value just past it (the validator must refuse it)."""
    values: dict[str, Any] = {}
    for option in describe_options(options):
        limits, kinds = option["limits"], option["type"].split("|")
        upper = limits.get("maximum", limits.get("exclusiveMaximum"))
        if upper is None or "enum" in limits:
            continue
        if "integer" in kinds:
            values[option["name"]] = int(upper) + 1
        elif "number" in kinds:
            values[option["name"]] = float(upper) + max(1.0, abs(float(upper)))
    return values
