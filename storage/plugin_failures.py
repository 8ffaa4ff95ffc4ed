"""Reading the plugin failures that earlier processes recorded, without migrating the database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aigc.storage.database import create_database_engine, read_only
from aigc.storage.mapping import from_row
from aigc.storage.models import PluginErrorRow
from aigc.storage.queries import newest_plugin_errors
from aigc.storage.views import PluginErrorRecord


def read_plugin_failures(url: str, limit: int) -> list[PluginErrorRecord]:
    """The newest ``limit`` rows of ``plugin_errors`` at ``url``; none before the table exists or
    when the database cannot be read (``aigc doctor``'s database check says why)."""
    engine = create_database_engine(url)
    try:
        if not sa.inspect(engine).has_table(PluginErrorRow.__tablename__):
            return []
        with Session(read_only(engine)) as session:
            return [from_row(PluginErrorRecord, row) for row in session.scalars(newest_plugin_errors(limit))]
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
