"""Pydantic validation errors as ``InvalidRequestError`` entries naming field, value and limit."""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from aigc.core.errors import InvalidRequestError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


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


def validate_model(
    model: type[M], data: Any, prefix: str = "", problems: list[dict[str, object]] | None = None
) -> M:
    """``model.model_validate(data)`` raising ``InvalidRequestError`` with fields under ``prefix``.

    ``problems`` are field errors found before, raised together with pydantic's; the fields they
    name (and the fields inside them) are left out of the validation, so each is reported once.
    """
    problems = list(problems or [])
    reported = {str(p["field"]) for p in problems}
    if problems and isinstance(data, Mapping):
        data = {k: v for k, v in data.items() if not _under(field_path(prefix, (str(k),)), reported)}
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        problems += [e for e in field_errors(error, prefix) if not _under(str(e["field"]), reported)]
    if problems:
        raise InvalidRequestError(problems) from None
    return validated


def _under(field: str, reported: set[str]) -> bool:
    return any(r == field or r.startswith((f"{field}.", f"{field}[")) for r in reported)


def _number_kind(annotation: Any) -> str | None:
    """What a field type that takes integers or floats but not booleans expects ("an integer", "a
    number"); None for any other type."""
    if get_origin(annotation) is Annotated:
        return _number_kind(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {_number_kind(arg) for arg in get_args(annotation)}
        if bool in get_args(annotation):
            return None
        return "a number" if "a number" in kinds else "an integer" if "an integer" in kinds else None
    return {int: "an integer", float: "a number"}.get(annotation)


def boolean_number_problems(
    model: type[BaseModel], values: Mapping[str, Any], prefix: str
) -> list[dict[str, object]]:
    """A boolean given for an integer or number field, as a type error: pydantic would read
    ``true`` as 1 and then report a range that does not explain the mistake."""
    fields = {f.alias or name: f for name, f in model.model_fields.items()} | model.model_fields
    problems: list[dict[str, object]] = []
    for key, value in values.items():
        kind = _number_kind(fields[key].annotation) if key in fields and isinstance(value, bool) else None
        if kind is not None:
            problems.append(
                {
                    "field": field_path(prefix, (key,)),
                    "value": value,
                    "message": f"expected {kind}, got a boolean",
                }
            )
    return problems


class FieldProblems:
    """Field errors gathered from several checks of one request, raised together."""

    def __init__(self) -> None:
        self.errors: list[dict[str, object]] = []

    def check(self, validate: Callable[[], T]) -> T | None:
        """``validate()``, or None with its errors kept when it raises ``InvalidRequestError``."""
        try:
            return validate()
        except InvalidRequestError as error:
            self.errors += error.errors
            return None

    def raise_any(self) -> None:
        """Raise every gathered error as one ``InvalidRequestError``, if there is any."""
        if self.errors:
            raise InvalidRequestError(self.errors)


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
