"""Shared fixtures: a fresh data folder and engine per test, with the installed plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime


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
