"""A fresh store (SQLite file and blob folder under tmp_path) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigc.storage.store import Store


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "aigc-data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    with Store.open(data_dir) as store:
        yield store
