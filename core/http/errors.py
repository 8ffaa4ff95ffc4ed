"""Errors as JSON ``ErrorBody`` responses: invalid fields named with their limits, never a traceback."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from aigc.core.errors import InvalidRequestError, NotFoundError, OverloadedError
from aigc.core.http.openai.errors import is_openai, openai_error, openai_invalid
from aigc.core.http.ratelimit import retry_after_header
from aigc.core.http.schemas import ErrorBody
from aigc.core.validation import field_path

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "no valid API key",
        403: "the API key's scope does not allow this",
        413: "request body too large",
        422: "invalid request: each bad field with its value and limit",
        429: "rate limit exceeded; see Retry-After",
    }.items()
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such record"}}


def _json_safe(value: object) -> object:
    """``value`` as the response will render it, or its ``ascii()`` text when it cannot be rendered
    (NaN, Infinity, a lone surrogate): the client gets a 422 showing its value, never a 500."""
    try:
        encoded = jsonable_encoder(value)
        json.dumps(encoded, ensure_ascii=False, allow_nan=False).encode()
        return encoded
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return ascii(value)


def _invalid(errors: list[dict[str, object]]) -> JSONResponse:
    entries = [
        {
            "field": _json_safe(e["field"]),
            "value": _json_safe(e.get("value")),
            "message": _json_safe(e["message"]),
        }
        for e in errors
    ]
    return JSONResponse({"detail": "invalid request", "errors": entries}, status_code=422)


def _field(loc: tuple[int | str, ...]) -> str:
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    return field_path("", parts) or "request"


async def _on_invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidRequestError)
    return openai_invalid(error.errors) if is_openai(request) else _invalid(error.errors)


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field(tuple(e["loc"])), "value": e.get("input"), "message": e["msg"]}
        for e in error.errors()
    ]
    return openai_invalid(errors) if is_openai(request) else _invalid(errors)


async def _on_not_found(request: Request, error: Exception) -> JSONResponse:
    if is_openai(request):
        return openai_error(404, str(error))
    return JSONResponse({"detail": str(error)}, status_code=404)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if is_openai(request):
        return openai_error(error.status_code, str(error.detail), headers=error.headers)
    return JSONResponse({"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers)


async def _on_overloaded(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OverloadedError)
    headers = {"Retry-After": retry_after_header(error.retry_after_s)}
    if is_openai(request):
        return openai_error(429, str(error), headers=headers)
    return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map aigc's and FastAPI's exceptions to ``ErrorBody`` responses."""
    app.add_exception_handler(OverloadedError, _on_overloaded)
    app.add_exception_handler(InvalidRequestError, _on_invalid_request)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(NotFoundError, _on_not_found)
    app.add_exception_handler(HTTPException, _on_http_error)
