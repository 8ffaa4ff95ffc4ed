"""Running the requested evaluators over a request's samples, each call isolated."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from aigc.core.errors import AigcError
from aigc.core.isolation import call_with_timeout
from aigc.core.preparation import PreparedEvaluator, PreparedRequest
from aigc.core.schemas import EvalResult
from aigc.core.specs import ArtifactData, EvalItem, Evaluator, EvaluatorSpec
from aigc.storage.records import NewEvaluation

LoadEvaluator = Callable[[EvaluatorSpec], Evaluator]


@dataclass(frozen=True)
class _Target:
    sample: int
    artifact: int
    item: EvalItem


def _targets(
    prepared: PreparedRequest, evaluator: EvaluatorSpec, samples: Sequence[list[ArtifactData]]
) -> list[_Target]:
    return [
        _Target(s, a, EvalItem(artifact, prepared.request.prompt, prepared.spec.name, prepared.options_json))
        for s, artifacts in enumerate(samples)
        for a, artifact in enumerate(artifacts)
        if artifact.media_type in evaluator.media_types
    ]


def _checked(raw: object, expected: int, name: str) -> list[list[EvalResult]]:
    if not isinstance(raw, list) or len(raw) != expected:
        raise AigcError(
            f"evaluator {name!r} returned {type(raw).__name__} of length "
            f"{len(raw) if isinstance(raw, list) else '-'}; expected a list of {expected} result lists"
        )
    try:
        return [
            [EvalResult.model_validate(r.model_dump() if isinstance(r, EvalResult) else r) for r in results]
            for results in raw
        ]
    except (TypeError, ValidationError) as error:
        raise AigcError(f"evaluator {name!r} returned a malformed result: {error}") from error


def _run_one(
    prepared: PreparedEvaluator, targets: list[_Target], load: LoadEvaluator, timeout_s: float
) -> list[list[EvalResult]]:
    spec = prepared.spec
    try:
        evaluator = load(spec)
        raw = call_with_timeout(
            f"evaluator {spec.name}",
            timeout_s,
            lambda: evaluator.evaluate([t.item for t in targets], prepared.options),
        )
        return _checked(raw, len(targets), spec.name)
    except AigcError as error:
        failed = EvalResult(metric=spec.name, error=str(error)[:4000], reason="evaluator failed")
        return [[failed] for _ in targets]


def evaluate_samples(
    prepared: PreparedRequest,
    samples: Sequence[list[ArtifactData]],
    load: LoadEvaluator,
    timeout_s: float,
) -> tuple[list[list[NewEvaluation]], dict[str, float]]:
    """Evaluations per sample, and milliseconds spent per evaluator."""
    per_sample: list[list[NewEvaluation]] = [[] for _ in samples]
    timings: dict[str, float] = {}
    for evaluator in prepared.evaluators:
        targets = _targets(prepared, evaluator.spec, samples)
        started = time.perf_counter()
        results = _run_one(evaluator, targets, load, timeout_s)
        timings[f"evaluate:{evaluator.spec.name}"] = (time.perf_counter() - started) * 1000
        for target, item_results in zip(targets, results, strict=True):
            per_sample[target.sample].extend(
                NewEvaluation(evaluator.spec.name, evaluator.spec.version, result, target.artifact)
                for result in item_results
            )
    return per_sample, timings
