"""API key authentication: a bearer token or an ``X-API-Key`` header.

The gallery's cookie is not accepted here: a browser sends it with any request to this host
(``SameSite`` treats another port of the same host as the same site), so only the gallery's own
pages, whose forms carry a CSRF token, accept it.

No key: 401. A key whose scope does not include what the route needs: 403. Over the key's rate, or
too many failed authentications from the client's address: 429 with Retry-After. All of it is
decided before the route does any work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from aigc.core.http.ratelimit import retry_after_header
from aigc.storage.api_keys import ApiKey, Scope

COOKIE_NAME = "aigc_key"
_bearer = HTTPBearer(auto_error=False, description="an API key from `aigc api-keys create`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def key_of(request: Request, token: str | None) -> ApiKey | None:
    """The live API key for ``token`` (None when missing, unknown or revoked)."""
    return request.app.state.api_keys.verify(token) if token else None


def checked_key_of(request: Request, token: str | None) -> ApiKey | None:
    """``key_of``, limited per client address: each failure takes a token from the address's
    bucket, and an address out of tokens gets 429 before its key is looked up, so guessing
    keys (or a client stuck with a revoked one) never costs the database more than that rate."""
    address = request.client.host if request.client else "unknown"
    failures = request.app.state.auth_failures
    wait_s = failures.wait_s(address)
    if wait_s > 0:
        raise HTTPException(
            429,
            "too many requests with a missing or invalid API key from this address",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
    key = key_of(request, token)
    if key is None:
        failures.acquire(address)
    return key


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency that admits keys whose scope includes ``scope``, within their rate limit."""

    def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> ApiKey:
        token = bearer.credentials if bearer else header
        key = checked_key_of(request, token)
        if key is None:
            raise HTTPException(
                401,
                "missing or invalid API key (send 'Authorization: Bearer <key>' or 'X-API-Key')",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not key.allows(scope):
            raise HTTPException(403, f"this API key has scope {key.scope!r}; this needs {scope!r}")
        wait_s = request.app.state.limiter.acquire(key.id)
        if wait_s > 0:
            raise HTTPException(
                429,
                "rate limit exceeded for this API key",
                headers={"Retry-After": retry_after_header(wait_s)},
            )
        return key

    return dependency
