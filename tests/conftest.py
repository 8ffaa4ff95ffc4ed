"""Shared fixtures: a fresh data folder and engine per test, with the installed plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.storage.database import sqlite_database_url
from tests.postgres import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend: a SQLite file in the data folder, a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_database_url(tmp_path / "aigc-data" / "aigc.db")
    else:
        yield from fresh_postgres_database()


@pytest.fixture(scope="session")
def installed_models_home() -> Path:
    """A data folder with SmolLM2 installed in both variants (``aigc models install``), kept across
    runs under build/ (installing is idempotent); tests that need it skip when it cannot be had."""
    from aigc.core.errors import AigcError
    from aigc.core.model_install import installables

    home = Path(__file__).parents[1] / "build" / "test-models"
    try:
        installables()["smollm2"].install(home, ["quantized", "fp32"])
    except (AigcError, ImportError) as error:
        pytest.skip(f"SmolLM2 could not be installed: {error}")
    return home


@pytest.fixture
def smollm2_home(installed_models_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``AIGC_HOME`` pointing at the installed SmolLM2 (the plugin finds its model there)."""
    monkeypatch.setenv("AIGC_HOME", str(installed_models_home))
    return installed_models_home


@pytest.fixture(scope="session")
def runtime() -> ModelRuntime:
    """One runtime per test session: sessions are cached across tests, as in a server."""
    return ModelRuntime()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "aigc-data", generator_timeout_s=60, evaluator_timeout_s=60)


@pytest.fixture
def registry() -> PluginRegistry:
    return PluginRegistry.from_entry_points()


@pytest.fixture
def engine(settings: Settings, registry: PluginRegistry, runtime: ModelRuntime) -> Iterator[Engine]:
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        yield engine
