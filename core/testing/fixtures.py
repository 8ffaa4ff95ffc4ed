"""The pytest plugin (``pytest11`` entry point ``aigc``): an engine with a temporary store per test.

Fixtures: ``aigc_settings`` (a store in ``tmp_path``), ``aigc_runtime`` (one ONNX Runtime
layer per test session, as in a server), ``aigc_registry`` (the installed plugins) and
``aigc_engine`` (all three together). Importing this module is cheap: aigc's engine is imported
when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aigc.core.config import Settings
    from aigc.core.engine import Engine
    from aigc.core.plugins import PluginRegistry
    from aigc.core.runtime import ModelRuntime

TEST_TIMEOUT_S = 120.0


@pytest.fixture
def aigc_settings(tmp_path: Path) -> Settings:
    """Settings with a fresh store (SQLite database and blobs) under ``tmp_path``. The data folder,
    where plugins find installed and registered models, is ``AIGC_HOME`` (and ``AIGC_MODELS``) when
    set, as for ``aigc``, else the same folder under ``tmp_path``."""
    from aigc.core.config import Settings

    store = tmp_path / "aigc-data"
    return Settings.from_env(
        data_dir=None if os.environ.get("AIGC_HOME") else store,
        database_url=f"sqlite:///{store / 'aigc.db'}",
        blob_url=str(store / "blobs"),
        generator_timeout_s=TEST_TIMEOUT_S,
        evaluator_timeout_s=TEST_TIMEOUT_S,
    )


@pytest.fixture(scope="session")
def aigc_runtime() -> ModelRuntime:
    """One ``ModelRuntime`` for the test session: ONNX sessions are cached across tests."""
    from aigc.core.runtime import ModelRuntime

    return ModelRuntime()


@pytest.fixture
def aigc_registry() -> PluginRegistry:
    """The installed plugins (honouring ``AIGC_LOAD_PLUGINS``)."""
    from aigc.core.plugins import PluginRegistry

    return PluginRegistry.from_entry_points()


@pytest.fixture
def aigc_engine(
    aigc_settings: Settings, aigc_registry: PluginRegistry, aigc_runtime: ModelRuntime
) -> Iterator[Engine]:
    """An engine over ``aigc_settings``, ``aigc_registry`` and ``aigc_runtime``; closed afterwards."""
    from aigc.core.engine import Engine

    with Engine(aigc_settings, registry=aigc_registry, runtime=aigc_runtime) as engine:
        yield engine
