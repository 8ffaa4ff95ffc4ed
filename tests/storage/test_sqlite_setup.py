"""SQLite is set up for several processes: WAL, busy timeout, foreign keys, immediate writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC
from pathlib import Path

import pytest
import sqlalchemy as sa

from aigc.storage.database import SQLITE_BUSY_TIMEOUT_MS, read_only, sqlite_database_url
from aigc.storage.store import Store
from tests.storage.factories import new_request


@pytest.fixture
def database_url(data_dir: Path) -> str:
    """These checks are about SQLite: no PostgreSQL variant."""
    return sqlite_database_url(data_dir / "aigc.db")


def pragma(store: Store, name: str) -> object:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_pragmas_are_in_effect_on_every_connection(store: Store) -> None:
    assert pragma(store, "journal_mode") == "wal"
    assert pragma(store, "synchronous") == 1  # NORMAL
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO feedback (artifact_id, rating, created_at) "
                "VALUES (12345, 1, '2025-01-01 00:00:00')"
            )
        )


def test_write_transactions_take_the_write_lock_when_they_begin(store: Store, data_dir: Path) -> None:
    other = sqlite3.connect(data_dir / "aigc.db", timeout=0, isolation_level=None)
    try:
        with store.engine.begin(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_read_transactions_leave_the_write_lock_free(store: Store, data_dir: Path) -> None:
    other = sqlite3.connect(data_dir / "aigc.db", timeout=0, isolation_level=None)
    try:
        with read_only(store.engine).begin() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM generations").scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_store_creates_its_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "does" / "not" / "exist"
    with Store.open(data_dir) as store:
        store.save(new_request(1))
    assert (data_dir / "aigc.db").is_file() and (data_dir / "blobs").is_dir()


def test_timestamps_come_back_timezone_aware_in_utc(store: Store) -> None:
    saved = store.save(new_request(1))
    stored = store.get_request(saved.request_id)
    assert stored.created_at.tzinfo is UTC
    assert stored.generations[0].created_at == saved.created_at
