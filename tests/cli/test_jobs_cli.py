"""``aigc jobs``, ``aigc gc`` as a user runs them: real processes, a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import Aigc
from tests.jobs.conftest import DIGITS_SPEC


@pytest.fixture
def aigc(tmp_path: Path) -> Aigc:
    return Aigc(tmp_path / "aigc-data")


def test_validate_points_at_the_line_of_a_bad_input(aigc: Aigc, tmp_path: Path) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(DIGITS_SPEC.replace("{label: 7}", "{label: 12}"))
    done = aigc.run("jobs", "validate", str(spec), expect=2)
    assert f"{spec}:6: inputs.items[1].label" in " ".join(done.stderr.split())


def test_run_status_list_cancel_and_export(aigc: Aigc, tmp_path: Path) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(DIGITS_SPEC + "outputs: {url: out}\n")
    assert "valid, 6 items" in aigc.run("jobs", "validate", str(spec)).stdout
    run = aigc.run("jobs", "run", str(spec)).stdout
    assert "started run 1" in run and "completed" in run and "wrote" in run
    status = json.loads(aigc.run("jobs", "status", "1", "--json").stdout)
    assert (status["status"], status["done"], status["accepted"] + status["rejected"]) == ("completed", 6, 6)
    assert len((tmp_path / "out" / "run-1.jsonl").read_text().splitlines()) == status["accepted"]
    assert "digits" in aigc.run("jobs", "list").stdout
    assert "run 1: completed" in aigc.run("jobs", "cancel", "1").stdout  # finished runs stay finished
    aigc.run("jobs", "status", "99", expect=1)
    assert "removed 0 orphan blobs" in aigc.run("gc", "--min-age", "0").stdout


def test_a_run_whose_export_failed_is_resumed_and_exported(aigc: Aigc, tmp_path: Path) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(DIGITS_SPEC + "outputs: {url: out}\n")
    (tmp_path / "out").write_text("")  # a file where the export folder goes: the export fails
    assert "the run stays open" in aigc.run("jobs", "run", str(spec), expect=1).stderr
    status = json.loads(aigc.run("jobs", "status", "1", "--json").stdout)
    assert (status["status"], status["done"]) == ("running", 6)  # not completed without its export
    (tmp_path / "out").unlink()
    assert "resuming run 1" in aigc.run("jobs", "run", str(spec)).stdout
    assert json.loads(aigc.run("jobs", "status", "1", "--json").stdout)["status"] == "completed"
    assert len((tmp_path / "out" / "run-1.jsonl").read_text().splitlines()) == status["accepted"]
