"""The acceptance policy on hand-made evaluator results with known answers."""

from __future__ import annotations

import pytest

from aigc.core.policy import Decision, decide, keep_best
from aigc.core.schemas import AcceptancePolicy, EvalResult
from aigc.storage.records import NewEvaluation


def result(
    evaluator: str,
    metric: str,
    score: float | None = None,
    value: float | None = None,
    passed: bool | None = None,
    error: str | None = None,
) -> NewEvaluation:
    return NewEvaluation(
        evaluator, "1", EvalResult(metric=metric, score=score, value=value, passed=passed, error=error), None
    )


def test_no_evaluators_accepts_without_a_score() -> None:
    decision = decide(None, [])
    assert decision.accepted and decision.score is None and decision.reasons == []


def test_default_policy_is_the_mean_score_and_every_verdict_must_pass() -> None:
    decision = decide(None, [result("a", "x", 0.2, passed=True), result("b", "y", 0.6, passed=False)])
    assert decision.score == pytest.approx(0.4)
    assert not decision.accepted and decision.reasons == ["b/y: failed"]


def test_weights_give_a_weighted_mean() -> None:
    policy = AcceptancePolicy(weights={"x": 3, "b/y": 1})
    decision = decide(policy, [result("a", "x", 1.0), result("b", "y", 0.0)])
    assert decision.score == pytest.approx(0.75) and decision.accepted


def test_weighted_metric_that_nobody_produced_is_a_reason() -> None:
    decision = decide(AcceptancePolicy(weights={"missing": 1}), [result("a", "x", 1.0)])
    assert not decision.accepted and decision.reasons == ["weighted metric 'missing' has no score"]


@pytest.mark.parametrize(
    ("threshold", "accepted"),
    [
        ({"min": 0.5}, True),
        ({"min": 0.8}, False),
        ({"max": 0.5}, False),
        ({"min": 10, "on": "value"}, True),
        ({"max": 10, "on": "value"}, False),
    ],
)
def test_thresholds_on_score_or_value(threshold: dict[str, object], accepted: bool) -> None:
    policy = AcceptancePolicy.model_validate({"thresholds": {"x": threshold}})
    assert decide(policy, [result("a", "x", 0.7, value=42)]).accepted is accepted


def test_threshold_on_a_missing_metric_rejects() -> None:
    policy = AcceptancePolicy.model_validate({"thresholds": {"safety": {"min": 1}}})
    decision = decide(policy, [result("a", "x", 0.7)])
    assert decision.reasons == ["safety: no evaluator produced this metric"]


def test_evaluator_errors_reject_unless_verdicts_are_not_required() -> None:
    errored = [result("a", "x", error="timed out"), result("b", "y", 0.9)]
    assert decide(None, errored).reasons == ["a/x: evaluator failed: timed out"]
    lenient = decide(AcceptancePolicy(require_passed=False), errored)
    assert lenient.accepted and lenient.score == pytest.approx(0.9)


def test_min_score() -> None:
    policy = AcceptancePolicy(min_score=0.5)
    assert decide(policy, [result("a", "x", 0.6)]).accepted
    assert decide(policy, [result("a", "x", 0.4)]).reasons == ["overall score 0.4 < min_score 0.5"]
    assert decide(policy, []).reasons == ["overall score none < min_score 0.5"]


def test_keep_best_leaves_one_accepted_candidate_per_output() -> None:
    rejected = Decision(False, 0.99, ["too long"])
    candidates = [Decision(True, s, []) for s in (0.2, 0.9)] + [rejected]
    candidates += [Decision(True, s, []) for s in (None, 0.5, 0.5, 0.1)]
    kept = keep_best(candidates, best_of=3)
    assert [d.accepted for d in kept] == [False, True, False, False, True, False, True]
    assert kept[0].reasons == ["best_of: candidate 1 of this output was kept (score 0.9)"]
    assert kept[2] == rejected  # a rejected candidate keeps its own reasons, however high its score
    assert kept[3].reasons == kept[5].reasons == ["best_of: candidate 1 of this output was kept (score 0.5)"]
    assert kept[6] == Decision(True, 0.1, [])  # the last output's only candidate
