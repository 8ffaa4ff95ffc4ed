"""Text from users, plugins and errors is printed as typed: square brackets are never Rich markup."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console, RenderableType
from typer.testing import CliRunner

from aigc.core.cli.app import app
from aigc.core.cli.render import generation_detail, result_summary, simple_table
from aigc.core.schemas import Generation, GenerationResult

INSTALL_HINT = "needs the relevance extra: pip install 'aigc[relevance]'"


def _rendered(renderable: RenderableType) -> str:
    console = Console(width=200, file=io.StringIO())
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _generation() -> Generation:
    return Generation.model_validate(
        {
            "id": 7,
            "request_id": 3,
            "index": 0,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "generator": "echo",
            "generator_version": "1",
            "model_sha256": None,
            "prompt": "match [a-z_] only",
            "options": {},
            "seed": 1,
            "key": "k",
            "status": "failed",
            "score": None,
            "reasons": ["[bold]kept[/] as typed"],
            "error": None,
            "timings": {},
            "artifacts": [],
            "evaluations": [
                {
                    "id": 1,
                    "generation_id": 7,
                    "artifact_id": None,
                    "evaluator": "relevance",
                    "evaluator_version": "1",
                    "metric": "relevance",
                    "error": INSTALL_HINT,
                    "reason": "evaluator failed",
                }
            ],
        }
    )


def test_results_show_prints_an_evaluator_error_with_its_brackets() -> None:
    shown = _rendered(generation_detail(_generation()))
    assert INSTALL_HINT in shown
    assert "match [a-z_] only" in shown and "[bold]kept[/] as typed" in shown


def test_a_request_error_is_printed_with_its_brackets() -> None:
    result = GenerationResult.model_validate(
        {
            "request_id": 3,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "generator": "echo",
            "status": "failed",
            "error": INSTALL_HINT,
            "generations": [],
            "timings": {},
        }
    )
    assert INSTALL_HINT in _rendered(result_summary(result))


def test_an_error_message_keeps_its_character_classes(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        app, ["plugin", "new", "acme_gen", "--kind", "generator", "--dir", str(tmp_path)]
    )
    assert done.exit_code == 1
    assert "must match ^[a-z0-9][a-z0-9-]{0,63}$" in done.output


def test_table_cells_and_titles_are_literal() -> None:
    shown = _rendered(simple_table("runs of [nightly]", ("job", "detail"), [("[a-z_]", INSTALL_HINT)]))
    assert "runs of [nightly]" in shown and "[a-z_]" in shown and INSTALL_HINT in shown
