"""``aigc doctor``: is this installation healthy? Each check gives findings; any ``broken`` one fails.

Checks: Python and library versions, which ONNX Runtime execution providers really run (a
session on a tiny in-memory model, read back with ``get_providers()``), plugin load errors, model
files against their manifests (sha256), the database (reachable, migrations current), the data
folder (writable) and the optional extras.
"""

from __future__ import annotations

import importlib.util
import platform
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from aigc.core.config import Settings
from aigc.core.plugins import PluginRegistry

if TYPE_CHECKING:
    from aigc.storage.views import PluginErrorRecord

Status = Literal["ok", "info", "warning", "broken"]
RECENT_FAILURES = 5  # stored plugin failures shown by `aigc doctor`
LIBRARIES = (
    "aigc",
    "onnxruntime-gpu",
    "onnxruntime",
    "numpy",
    "pydantic",
    "SQLAlchemy",
    "alembic",
    "tokenizers",
)
# import name -> (distribution, what it enables)
OPTIONAL = {
    "torch": ("torch", "train extra: retrain and export models"),
    "onnx": ("onnx", "train extra: export models"),
    "sklearn": ("scikit-learn", "train extra: training data"),
    "transformers": ("transformers", "bench extra: Llama converter test, decode benchmark"),
    "pytest": ("pytest", "dev extra: run the tests and aigc.testing"),
    "onnxruntime_genai": ("onnxruntime-genai", "run onnxruntime-genai model folders (separate environment)"),
    "psycopg": ("psycopg", "PostgreSQL databases"),
    "espeakng_loader": ("espeakng-loader", "speech extra: espeak-ng phonemes for speech-piper"),
    "soundfile": ("soundfile", "audio extra: FLAC, Ogg Opus and MP3 files"),
    "pyloudnorm": ("pyloudnorm", "audio extra: loudness in audio-metrics"),
    "tinysoundfont": ("tinysoundfont", "SoundFont rendering of music-transformer (pip install --no-deps)"),
}


@dataclass(frozen=True)
class Finding:
    """One result of one check."""

    check: str
    subject: str
    status: Status
    detail: str


def _version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def check_versions(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """Python and the versions of aigc's libraries."""
    yield Finding("versions", "python", "info", f"{platform.python_version()} ({platform.platform()})")
    for name in LIBRARIES:
        found = _version(name)
        if found is not None:
            yield Finding("versions", name, "info", found)
    if _version("onnxruntime") and _version("onnxruntime-gpu"):
        yield Finding(
            "versions",
            "onnxruntime",
            "warning",
            "both onnxruntime and onnxruntime-gpu are installed and overwrite each other's files; keep one",
        )


def check_providers(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """Each provider ONNX Runtime lists, tried on a tiny model: does a session really run on it?"""
    import onnxruntime

    from aigc.core.runtime import CPU, provider_works

    for provider in onnxruntime.get_available_providers():
        if provider_works(provider):
            yield Finding("providers", provider, "ok", "a session runs on it")
        elif provider == CPU:
            yield Finding("providers", provider, "broken", "ONNX Runtime cannot run a session on CPU")
        else:
            yield Finding("providers", provider, "info", "listed, but sessions fall back to CPU here")


def check_plugins(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """Plugins that failed to load, how many loaded, and the failures earlier runs stored."""
    for error in registry.errors:
        yield Finding("plugins", error.plugin, "broken", error.summary)
    loaded = len(registry.plugin_names)
    yield Finding(
        "plugins",
        "loaded",
        "ok",
        f"{loaded} plugins, {len(registry.generators)} generators, {len(registry.evaluators)} evaluators",
    )
    for stored in stored_plugin_failures(settings, RECENT_FAILURES):
        yield Finding(
            "plugins",
            stored.plugin,
            "warning",
            f"failed {stored.created_at:%Y-%m-%d %H:%M} in {stored.stage}: "
            f"{stored.error_type}: {stored.message}",
        )


def check_models(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """Every model file of every plugin and registered model against its recorded sha256."""
    from aigc.core.model_files import installed_model_rows, model_file_rows, registered_model_rows

    try:
        rows = (
            model_file_rows(registry, {})
            + installed_model_rows(settings.data_dir, {})
            + registered_model_rows(settings.resolved_models_file, {})
        )
    except ValueError as error:
        yield Finding("models", str(settings.resolved_models_file), "broken", f"unreadable: {error}")
        return
    for row in rows:
        if not row.verified:
            yield Finding("models", f"{row.plugin}: {row.file}", "broken", row.problem or "not verified")
    verified = sum(row.verified for row in rows)
    yield Finding(
        "models", "files", "ok" if verified == len(rows) else "info", f"{verified}/{len(rows)} verified"
    )


def check_database(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """The database answers, and its schema is at the newest migration."""
    from sqlalchemy.engine import make_url

    from aigc.storage.database import create_database_engine
    from aigc.storage.migrate import current_revisions, head_revisions

    url = settings.resolved_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    if not _database_may_exist(url):
        yield Finding("database", shown, "ok", "not created yet: created and migrated on first use")
        return
    engine = create_database_engine(url)
    try:
        current, heads = current_revisions(engine), head_revisions()
    except Exception as error:
        yield Finding("database", shown, "broken", f"unreachable: {type(error).__name__}: {error}")
        return
    finally:
        engine.dispose()
    if current == heads:
        yield Finding("database", shown, "ok", f"reachable, migrations current ({', '.join(sorted(heads))})")
    elif current - heads:
        yield Finding(
            "database",
            shown,
            "broken",
            f"at revision {sorted(current)}, unknown to this aigc (newest "
            f"{sorted(heads)}): a newer aigc migrated it; upgrade aigc",
        )
    else:
        yield Finding(
            "database",
            shown,
            "warning",
            f"at revision {sorted(current) or 'none'}, newest is {sorted(heads)}: migrated on the next use",
        )


def _database_may_exist(url: str) -> bool:
    """False for a SQLite file not created yet; True otherwise (a server database may exist)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return not (
        parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists()
    )


def stored_plugin_failures(settings: Settings, limit: int) -> list[PluginErrorRecord]:
    """The newest plugin failures earlier runs recorded in ``plugin_errors`` (factory, generate,
    evaluate); none when the database does not exist yet. Reads only: nothing is migrated."""
    from aigc.storage.plugin_failures import read_plugin_failures

    url = settings.resolved_database_url
    if not _database_may_exist(url):
        return []
    return read_plugin_failures(url, limit)


def check_data_folder(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """A file can be written in the data folder (or, before first use, where it will be made)."""
    folder = settings.data_dir.resolve()
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{existing} is not a folder")
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".doctor-"):
            pass
    except OSError as error:
        yield Finding("data folder", str(folder), "broken", f"not writable: {error}")
        return
    yield Finding("data folder", str(folder), "ok", "writable" if existing == folder else "can be created")


def check_extras(settings: Settings, registry: PluginRegistry) -> Iterator[Finding]:
    """Optional packages: present or not (never a fault)."""
    for module, (distribution, purpose) in OPTIONAL.items():
        present = importlib.util.find_spec(module) is not None
        found = _version(distribution) if present else None
        detail = f"{found or 'installed'}: {purpose}" if present else f"not installed ({purpose})"
        yield Finding("extras", distribution, "info", detail)


CHECKS: tuple[Callable[[Settings, PluginRegistry], Iterator[Finding]], ...] = (
    check_versions,
    check_providers,
    check_plugins,
    check_models,
    check_database,
    check_data_folder,
    check_extras,
)


def diagnose(settings: Settings, registry: PluginRegistry) -> list[Finding]:
    """Every finding of every check; a check that raises is itself a broken finding."""
    findings: list[Finding] = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_").replace("_", " ")
        try:
            findings.extend(check(settings, registry))
        except Exception as error:
            findings.append(Finding(name, "check", "broken", f"{type(error).__name__}: {error}"))
    return findings


def healthy(findings: list[Finding]) -> bool:
    """No finding is broken."""
    return all(f.status != "broken" for f in findings)
