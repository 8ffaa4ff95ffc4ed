"""The acceptance policy: evaluator results in, accepted or rejected (with reasons) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aigc.core.schemas import AcceptancePolicy, EvalResult, MetricThreshold

DEFAULT_POLICY = AcceptancePolicy()


class ScoredResult(Protocol):
    """An evaluator result with the evaluator that produced it (``aigc.storage.NewEvaluation``)."""

    @property
    def evaluator(self) -> str: ...

    @property
    def result(self) -> EvalResult: ...


def _matches(scored: ScoredResult, key: str) -> bool:
    return key in (scored.result.metric, f"{scored.evaluator}/{scored.result.metric}")


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one sample."""

    accepted: bool
    score: float | None
    reasons: list[str]

    @property
    def status(self) -> str:
        return "accepted" if self.accepted else "rejected"


def _weighted_score(
    policy: AcceptancePolicy, results: Sequence[ScoredResult], reasons: list[str]
) -> float | None:
    if not policy.weights:
        scores = [r.result.score for r in results if r.result.score is not None]
        return sum(scores) / len(scores) if scores else None
    total = weight_sum = 0.0
    for key, weight in policy.weights.items():
        scores = [r.result.score for r in results if _matches(r, key) and r.result.score is not None]
        if not scores:
            reasons.append(f"weighted metric {key!r} has no score")
            continue
        total += weight * sum(scores) / len(scores)
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else None


def _threshold_failures(key: str, threshold: MetricThreshold, results: Sequence[ScoredResult]) -> list[str]:
    matching = [r.result for r in results if _matches(r, key)]
    if not matching:
        return [f"{key}: no evaluator produced this metric"]
    failures = []
    for result in matching:
        measured = result.score if threshold.on == "score" else result.value
        if measured is None:
            failures.append(f"{key}: no {threshold.on} ({result.error or 'not measured'})")
        elif threshold.min is not None and measured < threshold.min:
            failures.append(f"{key}: {threshold.on} {measured:.4g} < min {threshold.min:g}")
        elif threshold.max is not None and measured > threshold.max:
            failures.append(f"{key}: {threshold.on} {measured:.4g} > max {threshold.max:g}")
    return failures


def decide(policy: AcceptancePolicy | None, results: Sequence[ScoredResult]) -> Decision:
    """Apply ``policy`` (the default one when None) to one sample's evaluator results."""
    policy = policy or DEFAULT_POLICY
    reasons: list[str] = []
    if policy.require_passed:
        for r in results:
            if r.result.error is not None:
                reasons.append(f"{r.evaluator}/{r.result.metric}: evaluator failed: {r.result.error}")
            elif r.result.passed is False:
                reasons.append(f"{r.evaluator}/{r.result.metric}: {r.result.reason or 'failed'}")
    for key, threshold in policy.thresholds.items():
        reasons.extend(_threshold_failures(key, threshold, results))
    score = _weighted_score(policy, results, reasons)
    if policy.min_score is not None and (score is None or score < policy.min_score):
        reasons.append(f"overall score {_shown(score)} < min_score {policy.min_score:g}")
    return Decision(accepted=not reasons, score=score, reasons=reasons)


def keep_best(decisions: Sequence[Decision], best_of: int) -> list[Decision]:
    """Decisions of ``best_of`` consecutive candidates per output, with only the best accepted one of
    each group left accepted (highest score; the first on ties or without scores); the other
    accepted candidates become rejected, saying which candidate won."""
    kept = list(decisions)
    for start in range(0, len(kept), best_of):
        group = range(start, min(start + best_of, len(kept)))
        accepted = [i for i in group if kept[i].accepted]
        if not accepted:
            continue
        best = max(accepted, key=lambda i: (kept[i].score if kept[i].score is not None else -1.0, -i))
        for i in accepted:
            if i != best:
                kept_score = _shown(kept[best].score)
                reason = f"best_of: candidate {best - start} of this output was kept (score {kept_score})"
                kept[i] = Decision(accepted=False, score=kept[i].score, reasons=[reason])
    return kept


def _shown(score: float | None) -> str:
    return "none" if score is None else f"{score:.4g}"
