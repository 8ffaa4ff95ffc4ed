"""Step progress: what a generator reports reaches the caller that listens, across plugin threads."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

from aigc.core.cli.step_progress import step_progress
from aigc.core.engine import Engine
from aigc.core.isolation import call_with_timeout, iterate_with_timeout
from aigc.core.progress import listening, report_progress


def test_reports_without_a_listener_go_nowhere() -> None:
    report_progress(1, 2)  # nothing listens: no error, no effect


def test_a_listener_hears_reports_from_plugin_threads() -> None:
    heard: list[tuple[int, int]] = []

    def steps() -> int:
        for done in range(1, 4):
            report_progress(done, 3)
        return 3

    def streamed():  # type: ignore[no-untyped-def]
        report_progress(1, 1)
        yield "x"

    with listening(lambda done, total: heard.append((done, total))):
        assert call_with_timeout("steps", 10, steps) == 3
        assert list(iterate_with_timeout("stream", 10, streamed)) == ["x"]
    report_progress(9, 9)  # after the block: not heard
    assert heard == [(1, 3), (2, 3), (3, 3), (1, 1)]


def test_diffusion_steps_reach_the_listener_through_the_engine(engine: Engine) -> None:
    heard: list[tuple[int, int]] = []
    with listening(lambda done, total: heard.append((done, total))):
        result = engine.generate({"generator": "image-diffusion", "options": {"steps": 7}, "seed": 1})
    assert result.status == "completed"
    assert heard == [(step, 7) for step in range(1, 8)]


def test_the_cli_bar_gets_one_row_at_the_first_report() -> None:
    bar = Progress(console=Console(file=None, quiet=True))
    with step_progress(bar, "steps"):
        assert not bar.tasks
        report_progress(2, 5)
        report_progress(5, 5)
    (task,) = bar.tasks
    assert (task.description, task.completed, task.total) == ("steps", 5, 5)
