"""The Alembic migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aigc.storage.database import create_database_engine, open_database, sqlite_database_url
from aigc.storage.migrate import current_revisions, downgrade_to, head_revisions, upgrade_to_head
from aigc.storage.models import Base


def schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_a_new_sqlite_database_gets_its_folder(tmp_path: Path) -> None:
    engine = open_database(sqlite_database_url(tmp_path / "new" / "aigc.db"))
    engine.dispose()
    assert (tmp_path / "new" / "aigc.db").is_file()


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_opening_an_empty_database_migrates_it_to_head(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        assert current_revisions(engine) == head_revisions()
        assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    engine = create_database_engine(database_url, foreign_keys=False)
    try:
        upgrade_to_head(engine)
        downgrade_to(engine, "base")
        assert table_names(engine) == {"alembic_version"}
        assert current_revisions(engine) == set()
        upgrade_to_head(engine)
        assert current_revisions(engine) == head_revisions()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_reopening_a_migrated_database_keeps_its_rows(database_url: str) -> None:
    url = database_url
    engine = open_database(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO plugin_errors (plugin, stage, error_type, message, traceback, created_at) "
                "VALUES ('p', 'import', 'ImportError', 'm', 't', '2025-01-01 00:00:00')"
            )
        )
    engine.dispose()
    engine = open_database(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM plugin_errors")) == 1
    finally:
        engine.dispose()
