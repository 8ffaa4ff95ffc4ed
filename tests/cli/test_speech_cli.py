"""The speech quick start from the command line: install or register a voice, then generate."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import Aigc

FOX = "The quick brown fox jumps over the lazy dog."


def test_an_unknown_model_lists_the_installable_ones(tmp_path: Path) -> None:
    done = Aigc(tmp_path).run("models", "install", "nothing-like-it", expect=1)
    assert "joe-us" in done.stderr and "smollm2" in done.stderr


def test_speech_without_a_voice_names_the_install_command(tmp_path: Path) -> None:
    done = Aigc(tmp_path).run("generate", "speech-piper", FOX, expect=2)
    assert "aigc models install joe-us" in done.stderr + done.stdout


def test_a_registered_voice_speaks_the_same_bytes_twice(tmp_path: Path, joe_us_voice: Path) -> None:
    aigc = Aigc(tmp_path)
    onnx = next(joe_us_voice.glob("*.onnx"))
    assert "speech-piper" in aigc.run("models", "add", str(onnx), "--name", "joe-us").stdout
    request = ("generate", "speech-piper", FOX, "-o", "format=wav", "--seed", "1")
    first, second = aigc.json(*request), aigc.json(*request)
    [a], [b] = first["generations"][0]["artifacts"], second["generations"][0]["artifacts"]
    assert a["media_type"] == "audio/wav" and a["metadata"]["sample_rate"] == 22_050
    assert a["sha256"] == b["sha256"]
