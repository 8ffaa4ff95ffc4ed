"""Comparing generators or model versions on the same prompts: per target pass rate and mean metric
scores, and the prompts x targets matrix. Pure: it reads stored generations, runs nothing.

A target is what served a column: ``generator`` or ``generator:model`` (``model`` may be
``NAME@VERSION``). A sample passes when its generation was accepted by the policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from statistics import fmean

from pydantic import BaseModel

from aigc.core.schemas import Generation


class MatrixCell(BaseModel):
    """One target's sample for one prompt."""

    target: str
    generation_id: int
    served_by: str | None  # the ``model`` option the sample ran with (after any A/B routing)
    status: str
    passed: bool
    score: float | None
    scores: dict[str, float]
    text: str | None


class MatrixRow(BaseModel):
    """One prompt and each target's sample for it, in target order."""

    prompt: str
    cells: list[MatrixCell]


class TargetSummary(BaseModel):
    """How one target did over every prompt."""

    target: str
    samples: int
    passed: int
    pass_rate: float
    mean_score: float | None
    mean_scores: dict[str, float]


class Comparison(BaseModel):
    """The report: summary per target, then the matrix."""

    targets: list[str]
    summary: list[TargetSummary]
    matrix: list[MatrixRow]


def metric_scores(generation: Generation) -> dict[str, float]:
    """Mean score of each ``evaluator/metric`` over the generation's evaluations (those with a score)."""
    values: dict[str, list[float]] = defaultdict(list)
    for evaluation in generation.evaluations:
        if evaluation.score is not None:
            values[f"{evaluation.evaluator}/{evaluation.metric}"].append(evaluation.score)
    return {metric: fmean(scores) for metric, scores in sorted(values.items())}


def _cell(target: str, generation: Generation) -> MatrixCell:
    texts = [artifact.text for artifact in generation.artifacts if artifact.text is not None]
    model = generation.options.get("model")
    return MatrixCell(
        target=target,
        generation_id=generation.id,
        served_by=model if isinstance(model, str) else None,
        status=generation.status,
        passed=generation.status == "accepted",
        score=generation.score,
        scores=metric_scores(generation),
        text=texts[0] if texts else None,
    )


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def summarize(target: str, generations: Sequence[Generation]) -> TargetSummary:
    """How ``target`` did over ``generations``: a sample passes when the policy accepted it (a
    failed sample does not), and each metric's mean is over the samples that have it."""
    by_metric: dict[str, list[float]] = defaultdict(list)
    for generation in generations:
        for metric, score in metric_scores(generation).items():
            by_metric[metric].append(score)
    passed = sum(generation.status == "accepted" for generation in generations)
    return TargetSummary(
        target=target,
        samples=len(generations),
        passed=passed,
        pass_rate=passed / len(generations) if generations else 0.0,
        mean_score=_mean([g.score for g in generations if g.score is not None]),
        mean_scores={metric: fmean(scores) for metric, scores in sorted(by_metric.items())},
    )


def build_matrix(
    prompts: Sequence[str], targets: Sequence[str], samples: Iterable[tuple[int, str, Generation]]
) -> Comparison:
    """The comparison of ``samples``: ``(prompt index, target, generation)``, one per prompt and
    target; ``ValueError`` for a sample of an unknown prompt or target, or a missing one."""
    held: dict[tuple[int, str], Generation] = {}
    for index, target, generation in samples:
        if not 0 <= index < len(prompts) or target not in targets:
            raise ValueError(f"sample of prompt {index} for {target!r} is outside the comparison")
        held[index, target] = generation
    missing = [(i, t) for i in range(len(prompts)) for t in targets if (i, t) not in held]
    if missing:
        raise ValueError(f"no sample for prompt {missing[0][0]} and {missing[0][1]!r}")
    return Comparison(
        targets=list(targets),
        summary=[summarize(t, [held[i, t] for i in range(len(prompts))]) for t in targets],
        matrix=[
            MatrixRow(prompt=prompt, cells=[_cell(t, held[i, t]) for t in targets])
            for i, prompt in enumerate(prompts)
        ],
    )
