"""The countries question set: replies hold their answers, and held-out countries never reach training."""

from __future__ import annotations

from aigc.core.tuning.examples import TuningExample
from aigc.plugins.lib.datasets.countries import questions, split

COUNTRIES = {
    "FR": {"name": "France", "continent": "EU", "capital": "Paris"},
    "JP": {"name": "Japan", "continent": "AS", "capital": "Tokyo"},
    "AQ": {"name": "Antarctica", "continent": "AN", "capital": ""},
    "PE": {"name": "Peru", "continent": "SA", "capital": "Lima"},
}
CONTINENTS = {"EU": "Europe", "AS": "Asia", "AN": "Antarctica", "SA": "South America"}


def test_every_reply_holds_its_answer_and_is_a_tuning_example() -> None:
    rows = questions(COUNTRIES, CONTINENTS)
    assert [(row.country, row.kind) for row in rows] == [
        ("Antarctica", "continent"),
        ("France", "capital"),
        ("France", "continent"),
        ("Japan", "capital"),
        ("Japan", "continent"),
        ("Peru", "capital"),
        ("Peru", "continent"),
    ]
    assert rows[1].reply == "The capital of France is Paris." and rows[1].answer == "Paris"
    assert rows[6].question == "Which continent is Peru in?" and rows[6].reply == "Peru is in South America."
    for row in rows:
        assert row.answer in row.reply
        example = TuningExample.model_validate(row.example())
        assert example.completion == row.reply and example.messages[0].content == row.question  # type: ignore[index]


def test_held_out_countries_keep_all_their_questions_out_of_training() -> None:
    rows = questions(COUNTRIES, CONTINENTS)
    train, held_out = split(rows, seed=1, fraction=0.5)
    assert len({row.country for row in held_out}) == 2
    assert not {row.country for row in train} & {row.country for row in held_out}
    assert sorted(train + held_out, key=rows.index) == rows
    assert split(rows, seed=1, fraction=0.5) == (train, held_out)
