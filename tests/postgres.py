"""A fresh PostgreSQL database per test, on the server named by ``AIGC_TEST_POSTGRES_URL``.

CI starts one (``scripts/postgres.sh``); without the variable, PostgreSQL tests are skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POSTGRES_URL_VARIABLE = "AIGC_TEST_POSTGRES_URL"


def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards (skip without a server)."""
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set: no PostgreSQL server to test against")
    name = f"aigc_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
