"""What a plugin's ``Options`` model says about each option: type, default, limits, description."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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
    "const",
)


def describe_options(options: type[BaseModel]) -> list[dict[str, Any]]:
    """Each option's name, type, default, limits and description, from its JSON schema.

    ``item_limits`` holds the limits of a list option's items (e.g. the length of each string).
    """
    schema = options.model_json_schema()
    definitions = schema.get("$defs", {})
    described = []
    for name, prop in schema.get("properties", {}).items():
        variants = [_resolve(v, definitions) for v in prop.get("anyOf", [prop])]  # optional: [type, null]
        limits = {k: v[k] for v in variants for k in LIMIT_KEYS if k in v}
        items = [_resolve(v["items"], definitions) for v in variants if isinstance(v.get("items"), dict)]
        kinds = [v.get("type", "") for v in variants]
        described.append(
            {
                "name": name,
                "type": "|".join(k for k in kinds if k) or "any",
                "default": prop.get("default"),
                "limits": limits,
                "item_limits": {k: i[k] for i in items for k in LIMIT_KEYS if k in i},
                "item_type": "|".join(i.get("type", "") for i in items),
                "description": prop.get("description", ""),
            }
        )
    return described


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (enums and nested models are schema definitions)."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return {
            **definitions.get(ref.removeprefix("#/$defs/"), {}),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    return schema
