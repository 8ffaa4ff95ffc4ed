"""API keys: created once (the token is shown then and never again), looked up by hash, revoked.

A token is 256 random bits. Only its sha256 is stored: a plain hash is enough for a token that
cannot be guessed (slow password hashes such as bcrypt defend low-entropy secrets against
brute force, which 2**256 candidates already defeat), and it lets a request find its key through
the unique index instead of checking every key. The stored and computed digests are compared in
constant time all the same.

A verified key is remembered for ``VERIFIED_TTL_S`` seconds, so a busy server does not read the
database for every request of the same client. Revoking through the same ``ApiKeyStore`` (one server
process) takes effect at once; revoking elsewhere (``aigc api-keys revoke``, another worker process)
within ``VERIFIED_TTL_S``. An expiry is checked on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
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
VERIFIED_TTL_S = 2.0


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

    def __init__(self, engine: Engine, verified_ttl_s: float = VERIFIED_TTL_S) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._verified_ttl_s = verified_ttl_s
        self._verified: dict[str, tuple[float, ApiKey]] = {}  # token sha256 → (verified at, key)
        self._verified_lock = threading.Lock()
        self._revocations = 0  # a verify that read the database across a revoke caches nothing

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
        """The live key whose token this is (not revoked, not expired), or None; a key verified in the
        last ``VERIFIED_TTL_S`` seconds is not read again (see the module docstring)."""
        digest = token_sha256(token)
        with self._verified_lock:
            verified_at, cached = self._verified.get(digest, (float("-inf"), None))
            revocations = self._revocations
        if cached is not None and time.monotonic() - verified_at < self._verified_ttl_s:
            return None if cached.expires_at is not None and cached.expires_at <= utc_now() else cached
        key = self._read_live(digest)
        with self._verified_lock:
            if key is None or revocations != self._revocations:
                self._verified.pop(digest, None)
            else:
                self._verified[digest] = (time.monotonic(), key)
        return key

    def _read_live(self, digest: str) -> ApiKey | None:
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
            with self._verified_lock:
                self._revocations += 1
                self._verified.pop(row.token_sha256, None)
            return _key(row)
