"""Alembic, driven from code: the packaged ``alembic.ini`` and ``migrations/`` folder.

Several processes may open a fresh database at once (API workers, a scheduler). The upgrade runs
in one write transaction that first takes the database's migration lock (SQLite: the write lock
of ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory lock), and Alembic reads the
current revision only after that, so the first process migrates and the others find nothing
left to do.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
# Any constant shared by every aigc process; pg_advisory_xact_lock takes a bigint.
_POSTGRES_MIGRATION_LOCK = 0x61696763


def alembic_config() -> Config:
    """The packaged Alembic configuration (script location resolved next to this file)."""
    return Config(str(ALEMBIC_INI))


def head_revisions() -> set[str]:
    """The revisions the migration scripts lead to."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a database never migrated)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to the newest revision, unless it is there already."""
    if current_revisions(engine) == head_revisions():
        return
    _run(engine, "upgrade", "head")


def downgrade_to(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` drops every table)."""
    _run(engine, "downgrade", revision)


def _run(engine: Engine, direction: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        _take_migration_lock(connection)
        config.attributes["connection"] = connection
        if direction == "upgrade":
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
        _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    # Migrations run with SQLite's enforcement off (see database.open_database): check before commit.
    if connection.dialect.name == "sqlite":
        violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if violations:
            raise RuntimeError(f"migration left rows with dangling foreign keys: {violations[:10]}")


def _take_migration_lock(connection: Connection) -> None:
    # SQLite holds the write lock already: the transaction began IMMEDIATE.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK})
