"""Engines: SQLite set up for several processes sharing one file, or any other SQLAlchemy URL.

SQLite connections run in WAL mode (readers never block the writer), wait up to
``SQLITE_BUSY_TIMEOUT_MS`` for a lock instead of failing with "database is locked", and begin
write transactions with ``BEGIN IMMEDIATE``: a deferred transaction that reads first and then
writes can fail at once when another process committed in between (WAL's stale snapshot), while
an immediate one takes the write lock up front, waiting politely for its turn.

pysqlite's own transaction handling is switched off (``isolation_level = None``) and SQLAlchemy
emits BEGIN itself from the ``begin`` event, the recipe in SQLAlchemy's SQLite dialect docs
("Enabling Non-Legacy SQLite Transactional Modes"); ``autocommit=False`` would do the same but
needs Python 3.12.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "aigc_read_only"


def create_database_engine(url: str | URL, *, foreign_keys: bool = True, **engine_args: Any) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created and the pragmas applied.

    Transactions begin IMMEDIATE (they may write) unless the engine came from ``read_only``.
    ``foreign_keys=False`` is for migrations only: SQLite's batch mode recreates tables, and
    dropping a parent table with enforcement on would cascade into its children.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True, **engine_args)
    _create_sqlite_folder(parsed)
    engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **engine_args)
    _install_sqlite_hooks(engine, foreign_keys=foreign_keys)
    return engine


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read.

    On SQLite they begin DEFERRED and so take no write lock; elsewhere nothing changes.
    """
    return engine.execution_options(**{_READ_ONLY: True})


def open_database(url: str | URL) -> Engine:
    """An engine for ``url`` whose schema has been migrated to the newest revision."""
    from aigc.storage.migrate import upgrade_to_head

    migration_engine = create_database_engine(url, foreign_keys=False, poolclass=NullPool)
    try:
        upgrade_to_head(migration_engine)
    finally:
        migration_engine.dispose()
    return create_database_engine(url)


def query_rows(url: str, query: str) -> list[dict[str, Any]]:
    """Every row of a read-only ``query`` on the database at ``url``, as dicts by column name.

    Raises ``ValueError`` naming the database's error when the query fails.
    """
    engine = read_only(create_database_engine(url))
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sa.text(query))]
    except sa.exc.SQLAlchemyError as error:
        raise ValueError(f"the query failed: {error.__class__.__name__}: {error}") from None
    finally:
        engine.dispose()


def sqlite_database_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return URL.create("sqlite", database=str(path)).render_as_string()


def _create_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("uri"):
        return
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    # Switching a fresh file to WAL needs a moment of exclusive access; with another process
    # opening the same fresh file at that moment it has failed with "database is locked" before
    # the busy timeout ran out (seen under heavy load): retry for as long as that timeout allows.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _install_sqlite_hooks(engine: Engine, *, foreign_keys: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Leave BEGIN to the "begin" hook below: pysqlite's own would be deferred and would
        # skip DDL and SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode except on power loss
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only_transaction = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only_transaction else "BEGIN IMMEDIATE")
