"""``aigc plugin new`` writes packages that install, register and pass their own generated tests."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigc.core.errors import InvalidRequestError
from aigc.core.manifest import verify_manifest
from aigc.core.scaffold import new_plugin

# skeleton -> the plugin's name and the `aigc plugin new` options that make it
SKELETONS = {
    "text": ("acme-words", "--kind", "generator"),
    "image": ("acme-pixels", "--modality", "image"),
    "audio": ("acme-tone", "--modality", "audio"),
    "evaluator": ("acme-length", "--kind", "evaluator"),
}


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Every skeleton scaffolded by the CLI and pip-installed (no dependencies) into one folder."""
    root = tmp_path_factory.mktemp("scaffold")
    for name, *how in SKELETONS.values():
        run(sys.executable, "-m", "aigc.core.cli", "plugin", "new", name, *how, "--dir", str(root))
    site = root / "site"
    # Building with the environment's own setuptools is fast and offline; without it pip fetches one.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    run(
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *isolation, "--target", str(site),
        *(str(root / f"aigc-{name}") for name, *_ in SKELETONS.values()),
    )  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(site), "AIGC_HOME": str(root / "home")}
    env.pop("AIGC_LOAD_PLUGINS", None)
    return root, env


def test_the_scaffolded_plugins_register_through_their_entry_points(
    installed: tuple[Path, dict[str, str]],
) -> None:
    _, env = installed
    listed = json.loads(run(sys.executable, "-m", "aigc.core.cli", "plugins", "--json", env=env).stdout)
    generators = {g["name"]: g for g in listed["generators"]}
    assert {"acme-words", "acme-pixels", "acme-tone"} <= set(generators)
    assert generators["acme-pixels"]["modality"] == "image" and generators["acme-tone"]["modality"] == "audio"
    assert "acme-length" in [e["name"] for e in listed["evaluators"]]
    assert listed["errors"] == []


@pytest.mark.parametrize("skeleton", sorted(SKELETONS))
def test_a_skeleton_imports_only_the_sdk_from_aigc(
    installed: tuple[Path, dict[str, str]], skeleton: str
) -> None:
    root, _ = installed
    name = SKELETONS[skeleton][0]
    package = root / f"aigc-{name}" / f"aigc_{name.replace('-', '_')}"
    imported = {
        line.split()[1]
        for path in package.glob("*.py")
        for line in path.read_text().splitlines()
        if line.startswith(("from aigc.", "import aigc."))
    }
    assert imported == {"aigc.core.sdk"}


@pytest.mark.parametrize("skeleton", sorted(SKELETONS))
def test_the_generated_tests_pass(installed: tuple[Path, dict[str, str]], skeleton: str) -> None:
    root, env = installed
    package = root / f"aigc-{SKELETONS[skeleton][0]}"
    done = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", env=env, cwd=package)
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_export_template_writes_a_verified_model(installed: tuple[Path, dict[str, str]]) -> None:
    pytest.importorskip("torch")
    root, env = installed
    folder = root / "aigc-acme-words"
    run(sys.executable, "export.py", env=env, cwd=folder)
    assert verify_manifest(folder / "aigc_acme_words") == {"model.onnx": None}


def test_a_bad_name_or_an_occupied_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="name: must match"):
        new_plugin("Bad_Name", "generator", tmp_path)
    (tmp_path / "aigc-taken").mkdir()
    (tmp_path / "aigc-taken" / "file").write_text("")
    with pytest.raises(InvalidRequestError, match="dir: already exists"):
        new_plugin("taken", "generator", tmp_path)
    with pytest.raises(InvalidRequestError, match="modality: must be one of text, image, audio"):
        new_plugin("tune", "generator", tmp_path, "music")  # type: ignore[arg-type]
