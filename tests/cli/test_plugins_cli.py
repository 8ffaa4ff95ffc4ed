"""``aigc plugins`` as a user reads it: one line per plugin at 80 columns, failures with their cause."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aigc.core.cli.app import app
from aigc.core.cli.state import CliState
from aigc.core.config import Settings
from aigc.core.doctor import check_plugins
from aigc.core.plugins import PluginRegistry
from aigc.storage.store import Store
from tests.cli.runner import Aigc
from tests.core.plugin_doubles import write_distribution

BROKEN_ENGINE = '''"""The plugin's engine module."""

import missing_dependency_xyz
'''


def _with_plugins(aigc: Aigc, site: Path, allowed: str) -> Aigc:
    """``aigc`` that also finds the distributions on ``site`` and loads only the ``allowed`` plugins."""
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    aigc.env |= {"PYTHONPATH": os.pathsep.join(paths), "AIGC_LOAD_PLUGINS": allowed}
    return aigc


@pytest.fixture
def broken_plugin(tmp_path: Path) -> Aigc:
    """``aigc`` with plugin ``acme-broken``, whose submodule imports a package that is not installed."""
    root = tmp_path / "site"
    write_distribution(
        root,
        "acme_broken",
        {
            "acme_broken/__init__.py": "from acme_broken import engine\n",
            "acme_broken/engine.py": BROKEN_ENGINE,
        },
    )
    return _with_plugins(Aigc(tmp_path / "home"), root, "acme-broken,image-gan")


def test_the_listing_keeps_every_name_whole_at_80_columns(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "home")
    aigc.env["COLUMNS"] = "80"
    listing = aigc.json("plugins")
    lines = aigc.run("plugins").stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    for spec in listing["generators"] + listing["evaluators"]:
        assert any(line.split()[:1] == [spec["name"]] for line in lines), spec["name"]
    assert "truncation" not in "\n".join(lines)  # options are in the detail view only
    assert "option truncation" in aigc.run("plugins", "image-gan").stdout
    assert "evaluator image-fid" in aigc.run("plugins", "image-metrics").stdout  # a plugin's every spec


def test_a_plugin_that_fails_to_import_is_listed_and_fails_the_command(broken_plugin: Aigc) -> None:
    listed = broken_plugin.run("plugins", expect=1)
    row = next(line for line in listed.stdout.splitlines() if line.startswith("acme-broken"))
    assert "failed" in row and "image-gan" in listed.stdout
    assert "1 plugin(s) failed to load" in listed.stderr


def test_the_detail_of_a_failed_plugin_names_the_file_and_line_that_raised(broken_plugin: Aigc) -> None:
    detail = broken_plugin.run("plugins", "acme-broken", expect=1).stdout
    assert "import: ModuleNotFoundError: No module named 'missing_dependency_xyz'" in detail
    assert f"acme_broken{os.sep}engine.py:3" in detail and "Traceback" in detail


def test_generating_with_a_plugin_that_failed_to_load_says_why(broken_plugin: Aigc) -> None:
    done = broken_plugin.run("generate", "acme-broken", expect=2)
    assert "generator plugin 'acme-broken' failed to load: import: ModuleNotFoundError" in done.stderr
    assert "unknown generator" not in done.stderr
    other = broken_plugin.run("generate", "acme-gen", expect=2)
    assert "unknown generator" in other.stderr and "plugins that failed to load: acme-broken" in other.stderr


def test_failures_stored_by_earlier_runs_are_shown_by_plugins_and_doctor(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "home")
    store = Store.open(settings.data_dir)
    store.record_plugin_error(
        "acme", "generator acme-gen: generate", "RuntimeError", "model exploded", "Trace…"
    )
    store.close()
    done = CliRunner().invoke(
        app,
        ["--data-dir", str(settings.data_dir), "plugins", "--json"],
        obj=CliState(settings, _registry=PluginRegistry()),
    )
    assert done.exit_code == 0, done.output
    [recent] = json.loads(done.output)["recent_failures"]
    assert recent["plugin"] == "acme" and recent["error"] == "RuntimeError: model exploded"
    [finding] = [f for f in check_plugins(settings, PluginRegistry()) if f.subject == "acme"]
    assert finding.status == "warning" and "generate: RuntimeError: model exploded" in finding.detail


COMMAND_PLUGIN = '''
from aigc.core import hookimpl


@hookimpl
def aigc_register_commands(cli):
    @cli.command("greet")
    def greet(name: str) -> None:
        """Greet NAME from a plugin."""
        print(f"hello {name} from acme")
'''


def test_a_plugin_adds_a_command_to_aigc(tmp_path: Path) -> None:
    write_distribution(tmp_path / "site", "acme_commands", {"acme_commands.py": COMMAND_PLUGIN})
    aigc = _with_plugins(Aigc(tmp_path / "home"), tmp_path / "site", "acme-commands")
    assert aigc.run("greet", "world").stdout == "hello world from acme\n"
    assert "Greet NAME from a plugin" in aigc.run("--help").stdout
