"""``aigc doctor``'s checks on a healthy installation and on broken ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from aigc.core.config import Settings
from aigc.core.doctor import Finding, diagnose, healthy
from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.registered_models import register_model
from aigc.core.runtime import ModelRuntime
from tests.core.plugin_doubles import RaisingHookPlugin

LLAMA = Path(__file__).parents[1] / "fixtures" / "causal_lm" / "llama"


def broken(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check and f.status == "broken"]


def test_a_used_installation_is_healthy(tmp_path: Path, aigc_runtime: ModelRuntime) -> None:
    settings = Settings(data_dir=tmp_path / "home")
    registry = PluginRegistry.from_entry_points()
    with Engine(settings, registry=registry, runtime=aigc_runtime):
        pass  # creates and migrates the database
    findings = diagnose(settings, registry)
    assert healthy(findings), [f for f in findings if f.status == "broken"]
    by_check = {(f.check, f.subject): f for f in findings}
    assert by_check["providers", "CPUExecutionProvider"].status == "ok"
    assert "migrations current" in next(f.detail for f in findings if f.check == "database")
    assert by_check["data folder", str((tmp_path / "home").resolve())].detail == "writable"


def test_a_fresh_data_folder_is_healthy_and_left_uncreated(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "not-yet")
    assert healthy(diagnose(settings, PluginRegistry.from_entry_points()))
    assert not (tmp_path / "not-yet").exists()


def test_a_model_file_changed_after_registration_is_broken(tmp_path: Path) -> None:
    folder = tmp_path / "llama"
    shutil.copytree(LLAMA, folder)
    settings = Settings(data_dir=tmp_path / "home")
    register_model(settings.resolved_models_file, folder, "tiny-llama")
    (folder / "tokenizer.json").write_text("{}")
    findings = diagnose(settings, PluginRegistry.from_entry_points())
    [problem] = broken(findings, "models")
    assert problem.subject == "tiny-llama (registered): tokenizer.json"
    assert "sha256" in problem.detail
    assert not healthy(findings)


def test_a_data_folder_that_cannot_be_written_is_broken(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    findings = diagnose(Settings(data_dir=tmp_path / "a-file" / "home"), PluginRegistry.from_entry_points())
    [problem] = broken(findings, "data folder")
    assert "not writable" in problem.detail


def test_a_plugin_that_fails_to_load_is_broken(tmp_path: Path) -> None:
    registry = PluginRegistry.from_entry_points()
    registry.add(RaisingHookPlugin(), "raising")
    findings = diagnose(Settings(data_dir=tmp_path), registry)
    [problem] = broken(findings, "plugins")
    assert problem.subject == "raising"
    assert "aigc_register_generators" in problem.detail
