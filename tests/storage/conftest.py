"""A fresh store per test and backend (SQLite file or PostgreSQL database, blobs under tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigc.storage.store import Store


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "aigc-data"


@pytest.fixture
def store(data_dir: Path, database_url: str) -> Iterator[Store]:
    with Store(database_url, str(data_dir / "blobs")) as store:
        yield store
