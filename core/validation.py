"""Pydantic validation errors as ``InvalidRequestError`` entries naming field, value and limit."""

from __future__ import annotations

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
