"""The whole loop on a tiny Llama, as a user runs it: generate, rate, dump the dataset, tune, serve the
version beside its parent, route traffic to it, and compare the two. Needs the ``train`` extra."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from aigc.core.gguf import read_gguf
from aigc.core.routing import routed_version
from tests.cli.runner import Aigc
from tests.fixtures.tiny_gguf import write_tiny_gguf

for package in ("torch", "transformers", "peft", "gguf", "onnx"):
    pytest.importorskip(package)

PROMPT = "the quick brown fox"


def test_rated_outputs_tune_a_version_that_serves_and_compares_beside_its_parent(tmp_path: Path) -> None:
    gguf = write_tiny_gguf(tmp_path / "tiny.gguf", "Q4_1")  # as SmolLM2's: the version gets 8-bit blocks
    aigc = Aigc(tmp_path / "data")
    parent = aigc.json("models", "add", str(gguf), "--name", "tiny")
    sampled = aigc.json(
        "generate",
        "onnx-causal-lm",
        PROMPT,
        "-o",
        "model=tiny",
        "-o",
        "max_new_tokens=6",
        "-n",
        "2",
        "--seed",
        "5",
    )
    good, bad = (g["artifacts"][0] for g in sampled["generations"])
    assert good["text"] != bad["text"]
    aigc.run("feedback", str(good["id"]), "--rating", "up")
    aigc.run("feedback", str(bad["id"]), "--rating", "down")
    dataset = tmp_path / "dataset.jsonl"
    aigc.run("dump", "--dataset", str(dataset), "--require-rating")
    assert [json.loads(line)["completion"] for line in dataset.read_text().splitlines()] == [good["text"]]

    tune = (
        "tune",
        str(dataset),
        "--model",
        "tiny",
        "--base",
        str(gguf),
        "--method",
        "full",
        "--epochs",
        "40",
    )
    version = aigc.json(*tune, "--lr", "0.01", "--seed", "1")
    assert version["created"] and version["model"] == "tiny" and version["parent"] == "tiny"
    assert version["parent_sha256"] == parent["sha256"]
    assert version["dataset_sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
    assert (version["method"], version["seed"], version["hyperparameters"]["epochs"]) == ("full", 1, 40)
    assert {"model.onnx", "model.gguf", "tokenizer.json"} <= set(version["files"])
    assert read_gguf(Path(version["path"]) / "model.gguf").tensors["blk.0.ffn_up.weight"].type_name == "Q8_0"
    assert json.loads((Path(version["path"]) / "conversion.json").read_text())["variant"] == "quantized"
    assert list(version["seconds"]) == ["reading weights", "training", "writing weights", "converting"]
    assert all(seconds > 0 for seconds in version["seconds"].values())
    reference = f"tiny@{version['version']}"
    again = aigc.json(*tune, "--lr", "0.01", "--seed", "1")
    assert not again["created"] and again["sha256"] == version["sha256"] and again["seconds"] == {}
    [listed] = aigc.json("models", "versions", "tiny")
    assert listed["sha256"] == version["sha256"] and listed["traffic_share"] == 0

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps(PROMPT) + "\n" + json.dumps({"prompt": "once upon a time"}) + "\n")
    targets = ("-t", "onnx-causal-lm:tiny", "-t", f"onnx-causal-lm:{reference}")
    report = aigc.json(
        "compare",
        str(prompts),
        *targets,
        "-o",
        "temperature=0",
        "-o",
        "max_new_tokens=12",
        "-e",
        "text-safety",
    )
    assert report["targets"] == ["onnx-causal-lm:tiny", f"onnx-causal-lm:{reference}"]
    assert [(s["samples"], s["pass_rate"]) for s in report["summary"]] == [(2, 1.0), (2, 1.0)]
    assert all("text-safety/pii" in s["mean_scores"] for s in report["summary"])
    first = report["matrix"][0]
    assert first["prompt"] == PROMPT and [c["served_by"] for c in first["cells"]] == ["tiny", reference]
    assert first["cells"][1]["text"] == good["text"]  # the tuned version answers as rated up
    stored = aigc.json("results", "show", str(first["cells"][1]["generation_id"]))
    assert stored["model_sha256"] == version["sha256"] and stored["options"]["model"] == reference
    # Requests in flight together (decoded in one batch) sample exactly what they sample one by one.
    sampled_reports = [
        aigc.json(
            "compare", str(prompts), *targets, "-o", "max_new_tokens=12", "--seed", "5", "--concurrency", n
        )
        for n in ("1", "4")
    ]
    one_by_one, together = ([c["text"] for r in rep["matrix"] for c in r["cells"]] for rep in sampled_reports)
    assert one_by_one == together and len(set(one_by_one)) > 1

    aigc.run("models", "route", reference, "--share", "0.5")
    routes = [(version["version"], 0.5)]
    routed = next(seed for seed in range(100) if routed_version("tiny", seed, routes))
    kept = next(seed for seed in range(100) if not routed_version("tiny", seed, routes))
    for seed, expected in ((routed, reference), (kept, "tiny")):
        result = aigc.json("generate", "onnx-causal-lm", PROMPT, "-o", "model=tiny", "--seed", str(seed))
        assert result["generations"][0]["options"]["model"] == expected
