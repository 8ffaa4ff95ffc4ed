"""Pydantic validation errors as ``InvalidRequestError`` entries naming field, value and limit."""

from __future__ import annotations

import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from aigc.core.errors import InvalidRequestError

M = TypeVar("M", bound=BaseModel)


def field_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path under ``prefix``: ``options.label``, ``evaluators[0]``."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, object]]:
    """One ``{"field", "value", "message"}`` per problem; pydantic's messages state the limit."""
    return [
        {
            "field": field_path(prefix, e["loc"]) or prefix or "request",
            "value": e.get("input"),
            "message": e["msg"],
        }
        for e in error.errors(include_url=False)
    ]


def validate_model(model: type[M], data: Any, prefix: str = "") -> M:
    """``model.model_validate(data)`` raising ``InvalidRequestError`` with fields under ``prefix``."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequestError(field_errors(error, prefix)) from None


def invalid(field: str, value: object, message: str) -> InvalidRequestError:
    """A single-field ``InvalidRequestError``."""
    return InvalidRequestError([{"field": field, "value": value, "message": message}])


def _unstorable(value: Any) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain NUL characters (\\x00)"
        try:
            value.encode()
        except UnicodeEncodeError:
            return "text must be valid Unicode (it holds a lone surrogate)"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value}"
    return None


def storable_problems(value: Any, path: str = "") -> list[dict[str, object]]:
    """``{"field", "value", "message"}`` for each part of ``value`` (a JSON-like value) that cannot be
    stored alike on every database: text with a NUL character (PostgreSQL refuses it) or a lone
    surrogate (not UTF-8), a NaN or infinite number (not JSON). Nested models are entered field by
    field (a chat message's content, say)."""
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, dict):
        return [
            problem
            for key, item in value.items()
            for problem in storable_problems(key, path)
            + storable_problems(item, field_path(path, (str(key),)))
        ]
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in storable_problems(item, field_path(path, (i,)))]
    message = _unstorable(value)
    return [{"field": path, "value": value, "message": message}] if message else []


def storable_problem(value: Any) -> str | None:
    """The first of ``storable_problems(value)`` as one sentence naming where it is, or None."""
    problems = storable_problems(value)
    if not problems:
        return None
    field, message = problems[0]["field"], problems[0]["message"]
    return f"{field}: {message}" if field else str(message)
