"""Running the requested evaluators over a request's samples, each call isolated."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pydantic import ValidationError

from aigc.core.errors import AigcError
from aigc.core.isolation import call_with_timeout
from aigc.core.preparation import PreparedEvaluator, PreparedRequest
from aigc.core.redaction import without_paths
from aigc.core.schemas import EvalResult
from aigc.core.specs import ArtifactData, EvalItem, Evaluator, EvaluatorSpec, SetEvaluator
from aigc.storage.blobs import sha256_hex
from aigc.storage.records import NewEvaluation, NewSetEvaluation

LoadEvaluator = Callable[[EvaluatorSpec], Evaluator | SetEvaluator]
RecordFailure = Callable[[EvaluatorSpec, AigcError], None]


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


def _validated(results: object, name: str) -> list[EvalResult]:
    if not isinstance(results, list):
        raise AigcError(f"evaluator {name!r} returned {type(results).__name__}, not a list of results")
    try:
        return [
            EvalResult.model_validate(
                r.model_dump() | {"replacement": r.replacement} if isinstance(r, EvalResult) else r
            )
            for r in results
        ]
    except (TypeError, ValidationError) as error:
        raise AigcError(f"evaluator {name!r} returned a malformed result: {error}") from error


def _checked(raw: object, targets: Sequence[_Target], name: str) -> list[list[EvalResult]]:
    if not isinstance(raw, list) or len(raw) != len(targets):
        raise AigcError(
            f"evaluator {name!r} returned {type(raw).__name__} of length "
            f"{len(raw) if isinstance(raw, list) else '-'}; expected a list of {len(targets)} result lists"
        )
    checked = [_validated(results, name) for results in raw]
    for target, results in zip(targets, checked, strict=True):
        expected = target.item.artifact.media_type
        for result in results:
            if result.replacement is not None and result.replacement.media_type != expected:
                raise AigcError(
                    f"evaluator {name!r} replaced a {expected} artifact with {result.replacement.media_type}"
                )
    return checked


def _failure(spec: EvaluatorSpec, error: AigcError) -> EvalResult:
    return EvalResult(metric=spec.name, error=without_paths(str(error))[:4000], reason="evaluator failed")


def _run_items(
    prepared: PreparedEvaluator,
    targets: list[_Target],
    load: LoadEvaluator,
    record: RecordFailure,
    timeout_s: float,
) -> list[list[EvalResult]]:
    spec = prepared.spec
    try:
        evaluator = load(spec)
        assert isinstance(evaluator, Evaluator)  # the loader checks the scope's protocol
        items = [t.item for t in targets]
        raw = call_with_timeout(
            f"evaluator {spec.name}", timeout_s, lambda: evaluator.evaluate(items, prepared.options)
        )
        return _checked(raw, targets, spec.name)
    except AigcError as error:
        record(spec, error)
        return [[_failure(spec, error)] for _ in targets]


def _run_set(
    prepared: PreparedEvaluator,
    targets: list[_Target],
    load: LoadEvaluator,
    record: RecordFailure,
    timeout_s: float,
) -> list[EvalResult]:
    spec = prepared.spec
    try:
        evaluator = load(spec)
        assert isinstance(evaluator, SetEvaluator)  # the loader checks the scope's protocol
        items = [t.item for t in targets]
        raw = call_with_timeout(
            f"evaluator {spec.name}", timeout_s, lambda: evaluator.evaluate_set(items, prepared.options)
        )
        results = _validated(raw, spec.name)
        if any(r.replacement is not None for r in results):
            raise AigcError(f"set-level evaluator {spec.name!r} cannot replace artifacts")
        return results
    except AigcError as error:
        record(spec, error)
        return [_failure(spec, error)]


def evaluate_samples(
    prepared: PreparedRequest,
    samples: Sequence[list[ArtifactData]],
    load: LoadEvaluator,
    record: RecordFailure,
    timeout_s: float,
) -> tuple[list[list[NewEvaluation]], list[NewSetEvaluation], dict[str, float]]:
    """Evaluations per sample, set-level evaluations of the request, and milliseconds per evaluator.

    An evaluator that fails gives an ``EvalResult`` with ``error`` per item and is passed to ``record``.
    """
    per_sample: list[list[NewEvaluation]] = [[] for _ in samples]
    per_set: list[NewSetEvaluation] = []
    timings: dict[str, float] = {}
    for evaluator in prepared.evaluators:
        spec = evaluator.spec
        targets = _targets(prepared, spec, samples)
        started = time.perf_counter()
        if spec.scope == "set":
            results = _run_set(evaluator, targets, load, record, timeout_s)
            per_set.extend(NewSetEvaluation(spec.name, spec.version, r, len(targets)) for r in results)
        else:
            for target, item_results in zip(
                targets, _run_items(evaluator, targets, load, record, timeout_s), strict=True
            ):
                per_sample[target.sample].extend(
                    NewEvaluation(spec.name, spec.version, result, target.artifact) for result in item_results
                )
        timings[f"evaluate:{spec.name}"] = (time.perf_counter() - started) * 1000
    return per_sample, per_set, timings


def apply_replacements(
    samples: Sequence[list[ArtifactData]], evaluations: Sequence[list[NewEvaluation]]
) -> list[list[ArtifactData]]:
    """The samples with each artifact an evaluator replaced swapped for its replacement.

    The first replacement in evaluator order wins; the new artifact's metadata records the
    evaluator, metric, reason and the sha256 of the artifact it replaced.
    """
    replaced = [list(artifacts) for artifacts in samples]
    for artifacts, sample_evaluations in zip(replaced, evaluations, strict=True):
        done: set[int] = set()
        for evaluation in sample_evaluations:
            new, index = evaluation.result.replacement, evaluation.artifact_index
            if new is None or index is None or index in done:
                continue
            original = artifacts[index]
            record = {
                "evaluator": evaluation.evaluator,
                "metric": evaluation.result.metric,
                "reason": evaluation.result.reason,
                "original_sha256": sha256_hex(original.payload),
            }
            artifacts[index] = replace(new, metadata={**new.metadata, "replaced_by": record})
            done.add(index)
    return replaced
