"""API keys: only the token's hash is stored; verification finds live keys only; scopes nest."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from aigc.storage.api_keys import ApiKeyStore, token_sha256
from aigc.storage.models import ApiKeyRow
from aigc.storage.store import Store
from tests.storage.factories import read_session


def test_a_created_key_verifies_and_its_token_is_not_stored(store: Store) -> None:
    keys = store.api_keys
    key, token = keys.create("ci", "generate")
    assert token.startswith("aigc_") and len(token) > 40
    assert keys.verify(token) == key
    with read_session(store) as session:
        [row] = session.scalars(sa.select(ApiKeyRow)).all()
    assert row.token_sha256 == token_sha256(token)
    assert token not in {str(value) for value in (row.name, row.prefix, row.token_sha256, row.scope)}
    assert keys.verify(token + "x") is None and keys.verify("") is None


def test_a_revoked_key_no_longer_verifies(store: Store) -> None:
    keys = store.api_keys
    key, token = keys.create("old", "read")
    revoked = keys.revoke(key.id)
    assert revoked.revoked_at is not None and keys.verify(token) is None
    assert [k.id for k in keys.list()] == [key.id]


def test_scopes_include_the_weaker_ones(store: Store) -> None:
    keys = store.api_keys
    read, _ = keys.create("r", "read")
    admin, _ = keys.create("a", "admin")
    assert read.allows("read") and not read.allows("generate") and not read.allows("admin")
    assert admin.allows("read") and admin.allows("generate") and admin.allows("admin")


def test_a_key_stops_verifying_when_it_expires(store: Store) -> None:
    keys = store.api_keys
    now = datetime.now(UTC)
    expired, expired_token = keys.create("yesterday", "read", expires_at=now - timedelta(days=1))
    live, live_token = keys.create("tomorrow", "read", expires_at=now + timedelta(days=1))
    assert keys.verify(expired_token) is None
    assert keys.verify(live_token) == live and live.expires_at == now + timedelta(days=1)
    assert [k.expires_at for k in keys.list()] == [expired.expires_at, live.expires_at]


def test_a_verified_key_is_remembered_briefly_and_forgotten_when_revoked_here(store: Store) -> None:
    keys = store.api_keys
    elsewhere = ApiKeyStore(store.engine)  # as `aigc api-keys revoke` or another server process
    here_revoked, here_token = keys.create("here", "read")
    there_revoked, there_token = keys.create("there", "read")
    assert keys.verify(here_token) == here_revoked and keys.verify(there_token) == there_revoked
    keys.revoke(here_revoked.id)
    assert keys.verify(here_token) is None  # revoked through this store: at once
    elsewhere.revoke(there_revoked.id)
    assert keys.verify(there_token) == there_revoked  # remembered, for at most VERIFIED_TTL_S
    assert ApiKeyStore(store.engine).verify(there_token) is None


def test_a_remembered_key_is_refused_once_it_expires_or_its_time_is_up(store: Store) -> None:
    keys = ApiKeyStore(store.engine, verified_ttl_s=0.2)
    soon = datetime.now(UTC) + timedelta(seconds=0.3)
    expiring, expiring_token = keys.create("expiring", "read", expires_at=soon)
    kept, kept_token = keys.create("kept", "read")
    assert keys.verify(expiring_token) == expiring and keys.verify(kept_token) == kept
    ApiKeyStore(store.engine).revoke(kept.id)
    time.sleep(0.35)
    assert keys.verify(expiring_token) is None and keys.verify(kept_token) is None
