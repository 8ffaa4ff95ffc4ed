"""``aigc --data-dir D`` reaches the plugins: registered and installed models are found in ``D``
even when ``AIGC_HOME`` names another folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.runner import Aigc

CAUSAL_LM = Path(__file__).parents[1] / "fixtures" / "causal_lm" / "gpt2"


def test_a_model_registered_in_the_data_dir_generates(tmp_path: Path) -> None:
    aigc, data = Aigc(tmp_path / "elsewhere"), str(tmp_path / "data")
    aigc.run("--data-dir", data, "models", "add", str(CAUSAL_LM), "--name", "tiny")
    assert (tmp_path / "data" / "models.json").is_file()
    request = ("generate", "onnx-causal-lm", "a", "-o", "model=tiny", "-o", "max_new_tokens=2")
    result = aigc.json("--data-dir", data, *request, "--seed", "1")
    assert result["status"] == "completed", result
    assert result["generations"][0]["artifacts"][0]["media_type"] == "text/plain"
    assert not (tmp_path / "elsewhere" / "models.json").exists()


def test_a_model_installed_in_the_data_dir_is_found(tmp_path: Path, joe_us_voice: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(joe_us_voice, data / joe_us_voice.relative_to(joe_us_voice.parents[2]))
    aigc = Aigc(tmp_path / "elsewhere")
    aigc.run("generate", "speech-piper", "Hello.", expect=2)  # not installed in AIGC_HOME
    result = aigc.json("--data-dir", str(data), "generate", "speech-piper", "Hello.", "-o", "format=wav")
    assert result["status"] == "completed", result
    assert result["generations"][0]["artifacts"][0]["media_type"] == "audio/wav"
