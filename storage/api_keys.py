"""API keys: created once (the token is shown then and never again), looked up by hash, revoked.

A token is 256 random bits. Only its sha256 is stored: a plain hash is enough for a token that
cannot be guessed (slow password hashes such as bcrypt defend low-entropy secrets against
brute force, which 2**256 candidates already defeat), and it lets a request find its key through
the unique index instead of checking every key. The stored and computed digests are compared in
constant time all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from aigc.core.errors import NotFoundError
from aigc.storage.models import API_KEY_SCOPES, ApiKeyRow, utc_now

Scope = Literal["read", "generate", "admin"]
TOKEN_PREFIX = "aigc_"


class ApiKey(BaseModel):
    """A stored API key (without its token)."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    prefix: str
    scope: Scope
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None

    def allows(self, needed: Scope) -> bool:
        """Whether this key's scope includes ``needed``."""
        return API_KEY_SCOPES.index(self.scope) >= API_KEY_SCOPES.index(needed)  # each includes those before


def token_sha256(token: str) -> str:
    """The hex sha256 of a token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey.model_validate(row, from_attributes=True)


class ApiKeyStore:
    """API keys in the database of ``engine`` (the ``Store``'s engine, migrated already)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, name: str, scope: Scope, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
        """A new key and its token; the token cannot be recovered later. From ``expires_at`` on (if
        given), the key no longer verifies."""
        if scope not in API_KEY_SCOPES:
            raise ValueError(f"scope must be one of {', '.join(API_KEY_SCOPES)}, got {scope!r}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            name=name[:128],
            prefix=token[: len(TOKEN_PREFIX) + 6],
            token_sha256=token_sha256(token),
            scope=scope,
            created_at=utc_now(),
            expires_at=expires_at,
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _key(row), token

    def verify(self, token: str) -> ApiKey | None:
        """The live key whose token this is (not revoked, not expired), or None."""
        digest = token_sha256(token)
        with self._sessions() as session:
            row = session.scalars(sa.select(ApiKeyRow).where(ApiKeyRow.token_sha256 == digest)).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            if row.expires_at is not None and row.expires_at <= utc_now():
                return None
            if not hmac.compare_digest(row.token_sha256, digest):
                return None
            return _key(row)

    def list(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        with self._sessions() as session:
            return [_key(row) for row in session.scalars(sa.select(ApiKeyRow).order_by(ApiKeyRow.id))]

    def revoke(self, key_id: int) -> ApiKey:
        """Revoke a key (idempotent); ``NotFoundError`` if there is none with this id."""
        with self._sessions.begin() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"API key {key_id} not found")
            if row.revoked_at is None:
                row.revoked_at = utc_now()
            return _key(row)
