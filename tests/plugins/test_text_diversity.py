"""``text-diversity`` (set) and ``text-repetition`` (item) on generated text, through the engine."""

from __future__ import annotations

import pytest

from aigc.core.engine import Engine


def test_text_transformer_outputs_are_measured_as_a_set_and_one_by_one(engine: Engine) -> None:
    result = engine.generate(
        {
            "generator": "text-transformer",
            "prompt": "And the LORD said unto Moses,",
            "options": {"max_new_tokens": 24},
            "n": 4,
            "seed": 5,
            "evaluators": ["text-diversity", "text-repetition"],
        }
    )
    by_metric = {e.metric: e for e in result.set_evaluations}
    assert set(by_metric) == {"distinct_1", "distinct_2", "self_bleu"}
    assert all(e.sample_count == 4 and e.evaluator == "text-diversity" for e in by_metric.values())
    assert 0 < by_metric["distinct_1"].value <= by_metric["distinct_2"].value <= 1  # type: ignore[operator]
    assert by_metric["self_bleu"].score == pytest.approx(1 - by_metric["self_bleu"].value)  # type: ignore[operator]
    for generation in result.generations:
        [repetition] = generation.evaluations
        assert repetition.metric == "repetition" and 0 <= repetition.value <= 1  # type: ignore[operator]


def test_identical_outputs_have_self_bleu_one_and_low_distinct_n(engine: Engine) -> None:
    result = engine.generate(
        {
            "generator": "text-transformer",
            "prompt": "In the beginning",
            "options": {"max_new_tokens": 16, "temperature": 0},
            "n": 3,
            "seed": 1,
            "evaluators": [{"name": "text-diversity", "options": {"max_self_bleu": 0.9}}],
        }
    )
    texts = {g.artifacts[0].text for g in result.generations}
    assert len(texts) == 1  # greedy decoding: the same text three times
    by_metric = {e.metric: e for e in result.set_evaluations}
    assert by_metric["self_bleu"].value == pytest.approx(1.0) and by_metric["self_bleu"].passed is False
    assert by_metric["distinct_1"].value <= 1 / 3 + 1e-9  # type: ignore[operator]
