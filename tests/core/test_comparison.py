"""The comparison report: pass rate and mean scores per target, and the prompts x targets matrix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aigc.core.comparison import build_matrix
from aigc.core.schemas import Artifact, Evaluation, Generation

PROMPTS = ["a", "b"]
TARGETS = ["lm:chat", "lm:chat@t1"]


def _generation(id: int, model: str, status: str, scores: dict[str, float], text: str = "x") -> Generation:
    evaluations = [
        Evaluation(
            id=i, generation_id=id, artifact_id=id, evaluator="e", evaluator_version="1", metric=m, score=s
        )
        for i, (m, s) in enumerate(scores.items())
    ]
    artifact = Artifact(
        id=id, generation_id=id, index=0, media_type="text/plain", sha256="0" * 64, size=1, uri=None,
        text=text, metadata={},
    )  # fmt: skip
    return Generation(
        id=id, request_id=id, index=0, created_at=datetime.now(UTC), generator="lm", generator_version="1",
        model_sha256=None, prompt="p", options={"model": model}, seed=0, key="k", status=status,
        score=sum(scores.values()) / len(scores) if scores else None, reasons=[], error=None, timings={},
        artifacts=[artifact], evaluations=evaluations,
    )  # fmt: skip


def test_each_target_gets_its_pass_rate_mean_scores_and_column() -> None:
    samples = [
        (0, "lm:chat", _generation(1, "chat", "accepted", {"len": 0.5, "safe": 1.0}, "one")),
        (1, "lm:chat", _generation(2, "chat", "rejected", {"len": 0.1, "safe": 0.0}, "two")),
        (1, "lm:chat@t1", _generation(4, "chat@t1", "accepted", {"len": 0.9}, "four")),
        (0, "lm:chat@t1", _generation(3, "chat@t1", "accepted", {"len": 0.7, "safe": 1.0}, "three")),
    ]
    report = build_matrix(PROMPTS, TARGETS, samples)
    base, tuned = report.summary
    assert (base.target, base.samples, base.passed, base.pass_rate) == ("lm:chat", 2, 1, 0.5)
    assert base.mean_scores == pytest.approx({"e/len": 0.3, "e/safe": 0.5})
    assert (tuned.passed, tuned.pass_rate) == (2, 1.0)
    assert tuned.mean_scores == pytest.approx({"e/len": 0.8, "e/safe": 1.0})
    assert tuned.mean_score == pytest.approx((0.85 + 0.9) / 2)
    assert [row.prompt for row in report.matrix] == PROMPTS
    assert [[c.generation_id for c in row.cells] for row in report.matrix] == [[1, 3], [2, 4]]
    assert [c.text for c in report.matrix[1].cells] == ["two", "four"]
    assert report.matrix[1].cells[1].served_by == "chat@t1" and not report.matrix[1].cells[0].passed


def test_a_missing_or_foreign_sample_is_an_error() -> None:
    one = [(0, "lm:chat", _generation(1, "chat", "accepted", {}))]
    with pytest.raises(ValueError, match="no sample for prompt 0 and 'lm:chat@t1'"):
        build_matrix(["a"], TARGETS, one)
    with pytest.raises(ValueError, match="outside the comparison"):
        build_matrix(["a"], TARGETS, [(0, "lm:other", _generation(1, "x", "accepted", {}))])
