"""The ``aigc`` command end to end, as a user runs it: real processes, a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from aigc.storage.store import Store
from tests.cli.runner import Aigc
from tests.storage.factories import new_request


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "aigc-data"


@pytest.fixture(scope="module")
def aigc(data_dir: Path) -> Aigc:
    return Aigc(data_dir)


@pytest.fixture(scope="module")
def generated(aigc: Aigc) -> dict[str, Any]:
    return aigc.json(
        "generate", "image-gan", "-o", "label=3", "-n", "2", "--seed", "5", "--evaluate", "image-class-match"
    )  # type: ignore[no-any-return]


def test_help_lists_the_commands(aigc: Aigc) -> None:
    out = aigc.run("--help").stdout
    for command in ("generate", "plugins", "models", "results", "feedback", "dump", "api-keys", "demo"):
        assert command in out


def test_plugins_lists_generators_with_option_limits(aigc: Aigc) -> None:
    listing = aigc.json("plugins")
    gan = next(g for g in listing["generators"] if g["name"] == "image-gan")
    label = next(o for o in gan["options"] if o["name"] == "label")
    assert label["limits"] == {"minimum": 0, "maximum": 9} and label["description"]
    assert "image-class-match" in {e["name"] for e in listing["evaluators"]}


def test_generate_stores_and_prints_the_result(generated: dict[str, Any], data_dir: Path) -> None:
    assert generated["status"] == "completed"
    assert [g["seed"] for g in generated["generations"]] == [5, 6]
    for generation in generated["generations"]:
        assert generation["options"]["label"] == 3
        assert generation["evaluations"][0]["metric"] == "class_match"
        assert set(generation["timings"]) == {"generate_ms", "evaluate_ms"}
        assert Path(generation["artifacts"][0]["uri"]).is_file()
    assert (data_dir / "aigc.db").is_file()


def test_results_list_and_show(aigc: Aigc, generated: dict[str, Any]) -> None:
    listed = aigc.json("results", "list")
    assert [g["id"] for g in listed] == sorted((g["id"] for g in generated["generations"]), reverse=True)
    first = generated["generations"][0]
    shown = aigc.json("results", "show", str(first["id"]))
    assert shown["key"] == first["key"] and shown["artifacts"] == first["artifacts"]
    assert "image-gan@" in aigc.run("results", "show", str(first["id"])).stdout


def test_failed_requests_are_listed_with_their_error(aigc: Aigc, data_dir: Path) -> None:
    error = "PluginCallError: [bold]boom[/bold]"
    with Store.open(data_dir) as store:
        failed = store.save(
            new_request(0, generator="image-gan", status="failed", error=error, traceback="Traceback: [x]")
        )
    listed = {r["request_id"]: r for r in aigc.json("results", "requests", "--status", "failed")}
    assert listed[failed.request_id]["error"] == error and listed[failed.request_id]["generations"] == []
    assert "failed requests stored no sample" in aigc.run("results", "list", "--status", "failed").stdout
    shown = aigc.run("results", "request", str(failed.request_id)).stdout
    assert error in shown and "Traceback: [x]" in shown  # as text, not markup
    assert aigc.json("results", "request", str(failed.request_id))["traceback"] == "Traceback: [x]"
    refused = aigc.run("results", "list", "--status", "broken", expect=2).stderr
    assert "status" in refused and "broken" in refused


def test_results_request_shows_the_set_level_evaluations(aigc: Aigc) -> None:
    stored = aigc.json("generate", "image-gan", "-n", "24", "--seed", "2", "-e", "image-fid", "--json")
    shown = aigc.json("results", "request", str(stored["request_id"]))
    assert shown["set_evaluations"] == stored["set_evaluations"]
    assert [e["metric"] for e in shown["set_evaluations"]] == ["fid"]
    text = aigc.run("results", "request", str(stored["request_id"])).stdout
    assert "set image-fid/fid over 24" in text and "real-vs-real" in text


def test_evaluator_options_from_the_command_line(aigc: Aigc) -> None:
    stored = aigc.json(
        "generate", "image-gan", "-n", "24", "--seed", "4", "-e", "image-fid",
        "-E", "image-fid.max_fid=0.001", "-E", "image-kid.subset_size=10", "--json",
    )  # fmt: skip
    by_evaluator = {e["evaluator"]: e for e in stored["set_evaluations"]}
    assert list(by_evaluator) == ["image-fid", "image-kid"]  # -E runs the evaluator it names
    assert by_evaluator["image-fid"]["passed"] is False
    assert by_evaluator["image-kid"]["details"]["subset_size"] == 10
    done = aigc.run("generate", "image-gan", "-E", "image-kid.subset_size=1", expect=2)
    assert "evaluators[1].options.subset_size" in done.stderr or "options.subset_size" in done.stderr
    assert "-E/--evaluator-option" in aigc.run("generate", "image-gan", "-E", "image-kid=3", expect=2).stderr


def test_missing_result_is_a_clear_error(aigc: Aigc) -> None:
    done = aigc.run("results", "show", "999999", expect=1)
    assert "999999" in done.stderr


def test_invalid_option_names_field_and_limit(aigc: Aigc) -> None:
    done = aigc.run("generate", "image-gan", "-o", "label=12", expect=2)
    assert "options.label" in done.stderr and "9" in done.stderr
    done = aigc.run("generate", "image-gan", "-o", "labl=1", expect=2)
    assert "unknown option" in done.stderr
    done = aigc.run("generate", "image-gan", "-o", "labl=1", "-o", "label=true", expect=2)
    assert "options.labl: unknown option" in done.stderr
    assert "options.label: expected an integer, got a boolean" in done.stderr


def test_feedback_and_export(aigc: Aigc, generated: dict[str, Any], tmp_path: Path) -> None:
    artifact_id = generated["generations"][0]["artifacts"][0]["id"]
    assert (
        "stored" in aigc.run("feedback", str(artifact_id), "--rating", "up", "--comment", "a clean 3").stdout
    )
    aigc.run("feedback", "999999", "--rating", "up", expect=1)
    aigc.run("feedback", str(artifact_id), "--rating", "9", expect=2)
    target = tmp_path / "export.jsonl"
    aigc.run("dump", "--output", str(target))
    records = {r["id"]: r for r in map(json.loads, target.read_text().splitlines())}
    assert set(records) >= {g["id"] for g in generated["generations"]}
    [feedback] = records[generated["generations"][0]["id"]]["artifacts"][0]["feedback"]
    assert (feedback["rating"], feedback["comment"]) == (1, "a clean 3")
    assert records[generated["generations"][0]["id"]]["request"]["seed"] == 5


def test_export_dataset_writes_accepted_rated_texts(aigc: Aigc, tmp_path: Path) -> None:
    result = aigc.json(
        "generate", "text-transformer", "In the beginning", "-n", "2", "--seed", "3", "-o", "max_new_tokens=8"
    )
    first, second = (g["artifacts"][0] for g in result["generations"])
    aigc.run("feedback", str(first["id"]), "--rating", "up")
    aigc.run("feedback", str(second["id"]), "--rating", "down")
    target = tmp_path / "dataset.jsonl"
    out = aigc.run(
        "dump", "--dataset", str(target), "--generator", "text-transformer", "--require-rating"
    ).stdout
    assert "1 examples written" in out
    [example] = map(json.loads, target.read_text().splitlines())
    assert (example["prompt"], example["completion"], example["rating"]) == (
        "In the beginning",
        first["text"],
        1.0,
    )
    assert (
        "--dataset" in aigc.run("export", "--dataset", str(target), "--status", "rejected", expect=2).stderr
    )


def test_models_lists_verified_files_and_providers_seen(aigc: Aigc, generated: dict[str, Any]) -> None:
    rows = {(r["plugin"], r["file"]): r for r in aigc.json("models")}
    gan = rows[("image-gan", "generator.onnx")]
    assert gan["verified"] is True and gan["sha256"] == generated["generations"][0]["model_sha256"]
    assert "CPUExecutionProvider" in gan["providers"]


def test_demo_generates_a_showcase(aigc: Aigc, data_dir: Path) -> None:
    out = aigc.run("demo", "-n", "2").stdout
    assert "image-gan" in out and "aigc.db" in out
    sheet = data_dir / "demo" / "image-gan" / "sheet.png"
    assert Image.open(sheet).size[0] > 64
    assert len(list((data_dir / "demo" / "image-gan").glob("*-accepted.png"))) >= 1


def test_text_generation_is_reproducible_and_streams(aigc: Aigc) -> None:
    args = ("generate", "text-transformer", "In the beginning", "-o", "max_new_tokens=60", "--seed", "3")
    first, second = aigc.json(*args), aigc.json(*args)
    [generation] = first["generations"]
    text = generation["artifacts"][0]["text"]
    assert len(text.split()) >= 10 and text == second["generations"][0]["artifacts"][0]["text"]
    assert generation["options"]["max_new_tokens"] == 60 and generation["timings"]["generate_ms"] > 0
    streamed = aigc.run(*args, "--stream").stdout
    assert streamed.startswith(text + "\n")
    aigc.run(*args, "--stream", "-n", "2", expect=2)
