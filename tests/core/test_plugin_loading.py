"""Plugins load through entry points; a broken one is skipped and reported, the others work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from aigc.core.plugins import ENTRY_POINT_GROUP, PluginRegistry
from tests.core.plugin_doubles import DoublesPlugin, RaisingHookPlugin, WrongTypePlugin, write_distribution


def test_builtin_plugins_register_through_entry_points() -> None:
    registry = PluginRegistry.from_entry_points()
    assert "image-gan" in registry.generators
    assert "image-class-match" in registry.evaluators
    assert registry.owner_of("generator", "image-gan") == "image-gan"


def test_each_builtin_entry_point_is_named_after_its_package_and_what_it_registers() -> None:
    """The entry point ``image-gan`` is ``aigc.plugins.image_gan`` and registers ``image-gan``; a plugin
    registering a family (``image-metrics``: image-fid, image-kid, ...) shares its first word."""
    registry = PluginRegistry.from_entry_points()
    registered: dict[str, list[str]] = {}
    for label, specs in (("generator", registry.generators), ("evaluator", registry.evaluators)):
        for name in specs:
            registered.setdefault(registry.owner_of(label, name) or "", []).append(name)
    builtin = [p for p in entry_points(group=ENTRY_POINT_GROUP) if p.value.startswith("aigc.plugins.")]
    assert len(builtin) >= 18
    for point in builtin:
        assert point.value == f"aigc.plugins.{point.name.replace('-', '_')}"
        names = registered.get(point.name)
        assert names, f"entry point {point.name} registers nothing"
        family = point.name.split("-")[0] + "-"
        assert point.name in names or all(n.startswith(family) for n in names), (point.name, names)


def test_hook_that_raises_registers_nothing_and_is_recorded() -> None:
    registry = PluginRegistry()
    registry.add(DoublesPlugin(), "doubles")
    registry.add(RaisingHookPlugin(), "raising")
    assert "half-registered" not in registry.generators
    assert "echo" in registry.generators
    [error] = registry.errors
    assert (error.plugin, error.stage, error.error_type) == (
        "raising",
        "aigc_register_generators",
        "RuntimeError",
    )


def test_register_rejects_what_is_not_a_spec() -> None:
    registry = PluginRegistry()
    registry.add(WrongTypePlugin(), "wrong")
    [error] = registry.errors
    assert "EvaluatorSpec" in error.message and error.plugin == "wrong"


def test_duplicate_generator_name_is_refused_for_the_second_plugin() -> None:
    registry = PluginRegistry()
    registry.add(DoublesPlugin(), "first")
    registry.add(DoublesPlugin(), "second")
    assert registry.owner_of("generator", "echo") == "first"
    assert any("already registered by plugin 'first'" in e.message for e in registry.errors)


@pytest.fixture
def third_party_path(tmp_path: Path) -> Path:
    write_distribution(tmp_path, "broken_import", {"broken_import.py": "import module_that_does_not_exist\n"})
    write_distribution(
        tmp_path,
        "raising_hook",
        {
            "raising_hook.py": """
        from aigc.core import hookimpl

        @hookimpl
        def aigc_register_evaluators(register):
            raise RuntimeError("boom in hook")
    """
        },
    )
    return tmp_path


def _plugins_json(path: Path, data_dir: Path, **env: str) -> dict[str, object]:
    environment = os.environ | {"PYTHONPATH": str(path), "AIGC_HOME": str(data_dir)} | env
    out = subprocess.run(
        [sys.executable, "-m", "aigc.core.cli", "plugins", "--json"],
        env=environment,
        capture_output=True,
        text=True,
    )
    listing: dict[str, object] = json.loads(out.stdout)
    assert out.returncode == (1 if listing["errors"] else 0), out.stderr  # like `aigc doctor`
    return listing


def test_cli_lists_broken_third_party_plugins_and_keeps_the_rest(
    third_party_path: Path, tmp_path: Path
) -> None:
    listing = _plugins_json(third_party_path, tmp_path / "data")
    errors = {e["plugin"]: e for e in listing["errors"]}  # type: ignore[union-attr]
    assert errors["broken-import"]["stage"] == "import"
    assert "module_that_does_not_exist" in errors["broken-import"]["error"]
    assert errors["raising-hook"]["stage"] == "aigc_register_evaluators"
    assert "boom in hook" in errors["raising-hook"]["error"]
    assert "image-gan" in {g["name"] for g in listing["generators"]}  # type: ignore[union-attr]


def test_allow_list_loads_only_the_named_plugins(third_party_path: Path, tmp_path: Path) -> None:
    listing = _plugins_json(third_party_path, tmp_path / "data", AIGC_LOAD_PLUGINS="image-gan")
    assert [g["name"] for g in listing["generators"]] == ["image-gan"]  # type: ignore[union-attr]
    assert listing["evaluators"] == [] and listing["errors"] == []
