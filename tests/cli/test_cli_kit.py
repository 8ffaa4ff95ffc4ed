"""``aigc models add`` and ``aigc doctor`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import Aigc

LLAMA = Path(__file__).parents[1] / "fixtures" / "causal_lm" / "llama"


def test_a_registered_model_generates_and_is_listed_with_its_checksums(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "home")
    added = json.loads(aigc.run("models", "add", str(LLAMA), "--name", "tiny-llama", "--json").stdout)
    assert added["format"] == "optimum"
    assert set(added["manifest"]["files"]) >= {"model.onnx", "config.json", "tokenizer.json"}
    result = aigc.json(
        "generate", "onnx-causal-lm", "Once upon a time", "-o", "model=tiny-llama", "--seed", "2"
    )
    assert result["status"] == "completed"
    assert result["generations"][0]["model_sha256"] == added["sha256"]
    listed = aigc.json("models")
    mine = [row for row in listed if row["plugin"] == "tiny-llama (registered)"]
    assert len(mine) == len(added["manifest"]["files"]) and all(row["verified"] for row in mine)


def test_adding_a_folder_that_is_not_an_export_fails_naming_the_files(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "home")
    done = aigc.run("models", "add", str(tmp_path), "--name", "empty", expect=1)
    assert "lacks model.onnx, config.json, tokenizer.json" in done.stderr


def test_doctor_exits_zero_when_healthy_and_one_when_broken(tmp_path: Path) -> None:
    healthy = Aigc(tmp_path / "home").run("doctor", "--json")
    assert json.loads(healthy.stdout)["healthy"] is True
    (tmp_path / "file").write_text("")
    broken = Aigc(tmp_path / "file" / "home").run("doctor", "--json", expect=1)
    report = json.loads(broken.stdout)
    assert report["healthy"] is False
    assert [f["check"] for f in report["findings"] if f["status"] == "broken"] == ["data folder"]
    table = Aigc(tmp_path / "file" / "home").run("doctor", expect=1).stdout
    assert "not writable" in table and "1 problem(s) found" in table
