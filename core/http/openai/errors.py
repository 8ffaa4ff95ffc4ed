"""Errors in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, for the
OpenAI-compatible paths; ``param`` names the field in the request the client sent."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import JSONResponse

OPENAI_PATHS = ("/v1/models", "/v1/chat/", "/v1/completions", "/v1/embeddings", "/v1/images/", "/v1/audio/")
_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}
_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
# aigc's request fields (after ``options.``) that an OpenAI request names otherwise.
_PARAMS = {
    "generator": "model",
    "max_new_tokens": "max_tokens",
    "voice": "voice",
    "format": "response_format",
}


def is_openai(request: Request) -> bool:
    """Whether ``request`` came to an OpenAI-compatible path."""
    return request.url.path.startswith(OPENAI_PATHS)


def openai_param(field: str) -> str | None:
    """The OpenAI request field behind aigc's ``field`` (``options.max_new_tokens`` → ``max_tokens``)."""
    if field in ("", "request"):
        return None
    name = field.removeprefix("options.")
    return _PARAMS.get(name, name)


def openai_error(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An OpenAI-shaped error response."""
    body = {
        "message": message,
        "type": _TYPES.get(status, "server_error"),
        "param": param,
        "code": code or _CODES.get(status),
    }
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def openai_invalid(errors: list[dict[str, object]]) -> JSONResponse:
    """400 naming the first bad field; the message lists every problem."""
    message = "; ".join(f"{openai_param(str(e['field'])) or 'request'}: {e['message']}" for e in errors)
    return openai_error(400, message, openai_param(str(errors[0]["field"])) if errors else None)
