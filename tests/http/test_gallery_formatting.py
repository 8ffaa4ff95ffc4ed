"""The gallery writes numbers, durations, sizes, verdicts and errors the way a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aigc.core.http.gallery import formatting


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.6779991564931225, "0.678"),
        (10.258092999990254, "10.3"),
        (12345.678, "12,346"),
        (1.0, "1"),
        (0.0, "0"),
        (-0.25, "-0.25"),
        (0.00001234, "1.23e-05"),
        (None, "—"),
    ],
)
def test_figures_keep_three_significant_digits(value: float | None, written: str) -> None:
    assert formatting.figure(value) == written


@pytest.mark.parametrize(
    ("ms", "written"),
    [
        (0.4321, "0.4 ms"),
        (10.258092999990254, "10.3 ms"),
        (480.4, "480 ms"),
        (2500.0, "2.5 s"),
        (184_000.0, "3 min 4 s"),
        (7_500_000.0, "2 h 5 min"),
        (None, "—"),
    ],
)
def test_durations_read_as_people_say_them(ms: float | None, written: str) -> None:
    assert formatting.duration_ms(ms) == written


def test_scores_sizes_verdicts_ratings_and_moments() -> None:
    assert [formatting.score(s) for s in (0.6779991564931225, 1.0, None)] == ["0.68", "1.00", "—"]
    assert [formatting.size(b) for b in (512, 1536, 5 * 1024**2)] == ["512 bytes", "1.5 KB", "5 MB"]
    assert [formatting.verdict(p) for p in (True, False, None)] == ["✓ pass", "✗ fail", "—"]
    assert [formatting.rating(r) for r in (1, -1, 4)] == ["▲ good", "▼ bad", "★ 4/5"]
    assert formatting.moment(datetime(2026, 12, 1, 17, 28, 59, tzinfo=UTC)) == "2026-12-01 17:28 UTC"


def test_timings_say_milliseconds_only_where_they_are() -> None:
    stored = {"generate_ms": 28.81234, "evaluate:image-class-match": 103.4, "batch_size": 3.0}
    assert formatting.timings(stored) == [
        ("generate", "28.8 ms"),
        ("evaluate:image-class-match", "103 ms"),
        ("batch size", "3"),
    ]


def test_an_errors_headline_is_its_first_line_cut_to_fit() -> None:
    assert (
        formatting.first_line("model not found\nTraceback (most recent call last): ...") == "model not found"
    )
    assert formatting.first_line("x" * 500, limit=10) == "x" * 9 + "…"
    assert formatting.first_line(None) == formatting.first_line("  \n") == ""
