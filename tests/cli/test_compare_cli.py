"""``aigc compare`` refuses what it cannot compare, naming the problem, before running anything."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import Aigc


def test_compare_needs_two_targets_and_a_readable_prompt_file(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "data")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('"a [bold]prompt[/bold]"\n{"prompt": "b"}\n[1, 2]\n')
    one = aigc.run("compare", str(prompts), "-t", "text-transformer", "-t", "text-transformer", expect=1)
    assert "at least two different --target" in one.stderr
    bad = aigc.run("compare", str(prompts), "-t", "text-transformer", "-t", "onnx-causal-lm:x", expect=1)
    assert f"{prompts}:3: expected a string or an object with prompt or messages" in bad.stderr
    assert not (tmp_path / "data" / "aigc.db").exists()  # nothing ran, nothing was stored


def test_the_first_failing_request_stops_the_comparison_and_is_named(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "data")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('"hello"\n"world"\n')
    failed = aigc.run(
        "compare", str(prompts), "-t", "text-transformer", "-t", "onnx-causal-lm:missing", expect=2
    )
    assert "onnx-causal-lm:missing, prompt " in failed.stderr and "options.model" in failed.stderr
    assert "no model of that name" in failed.stderr
