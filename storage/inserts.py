"""Inserting requests as the engine hands them over: a few multi-row statements per batch.

``plan`` turns a ``NewRequest`` into column values (checking it, before anything is written);
``insert`` writes the plans of a batch with one ``INSERT … RETURNING`` per table (requests,
samples, artifacts, evaluations, set evaluations) instead of the ORM's unit of work, and builds
each request's ``GenerationResult`` from the values it wrote and the ids it got back. The store
wrote those values itself, so the results are built without validating them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aigc.core.schemas import Artifact, EvalResult, Evaluation, Generation, GenerationResult, SetEvaluation
from aigc.core.specs import ArtifactData, ChatMessage
from aigc.storage.blobs import sha256_hex
from aigc.storage.models import (
    ArtifactRow,
    EvaluationRow,
    GenerationRow,
    RequestRow,
    SetEvaluationRow,
    utc_now,
)
from aigc.storage.records import NewEvaluation, NewGeneration, NewRequest

_METRIC_FIELDS = {"metric", "score", "value", "passed", "reason", "details", "error"}
# A sample repeats these columns of its request, so that listing samples needs no join.
_SHARED_WITH_SAMPLES = (
    "created_at",
    "generator",
    "generator_version",
    "model_sha256",
    "prompt",
    "messages",
    "options",
)


@dataclass
class PlannedSample:
    """A sample's column values, its artifacts' and its evaluations' (with the artifact index they name)."""

    values: dict[str, Any]
    artifacts: list[dict[str, Any]]
    evaluations: list[tuple[dict[str, Any], int | None]]
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlannedRequest:
    """A request's column values and everything under it, ready to insert."""

    values: dict[str, Any]
    samples: list[PlannedSample]
    set_evaluations: list[dict[str, Any]]


def metric_columns(evaluator: str, evaluator_version: str, result: EvalResult) -> dict[str, Any]:
    """The columns an evaluation row and a set evaluation row share."""
    return {
        "evaluator": evaluator,
        "evaluator_version": evaluator_version,
        **result.model_dump(include=_METRIC_FIELDS),
    }


def plan(request: NewRequest, blob_uri: Callable[[str], str]) -> PlannedRequest:
    """Column values for ``request``; ``ValueError`` when an evaluation names a missing artifact."""
    values = {
        "created_at": utc_now(),
        "generator": request.generator,
        "generator_version": request.generator_version,
        "model_sha256": request.model_sha256,
        "prompt": request.prompt,
        "messages": request.messages,
        "options": request.options,
        "n": request.n,
        "best_of": request.best_of,
        "seed": request.seed,
        "evaluators": request.evaluators,
        "policy": request.policy,
        "request_metadata": dict(request.metadata),
        "status": request.status,
        "error": request.error,
        "traceback": request.traceback,
        "timings": request.timings,
    }
    return PlannedRequest(
        values,
        [_plan_sample(values, sample, blob_uri) for sample in request.generations],
        [
            {"sample_count": e.sample_count, **metric_columns(e.evaluator, e.evaluator_version, e.result)}
            for e in request.set_evaluations
        ],
    )


def _plan_sample(
    request_values: dict[str, Any], sample: NewGeneration, blob_uri: Callable[[str], str]
) -> PlannedSample:
    values = {
        **{column: request_values[column] for column in _SHARED_WITH_SAMPLES},
        "index": sample.index,
        "seed": sample.seed,
        "key": sample.key,
        "idempotency_key": sample.idempotency_key,
        "job_run_id": sample.job_run_id,
        "status": sample.status,
        "score": sample.score,
        "reasons": list(sample.reasons),
        "error": sample.error,
        "timings": sample.timings,
    }
    artifacts = [_artifact_values(index, a, blob_uri) for index, a in enumerate(sample.artifacts)]
    return PlannedSample(
        values, artifacts, [_evaluation_values(e, sample.index, len(artifacts)) for e in sample.evaluations]
    )


def _artifact_values(index: int, artifact: ArtifactData, blob_uri: Callable[[str], str]) -> dict[str, Any]:
    payload = artifact.payload
    sha256 = sha256_hex(payload)
    return {
        "index": index,
        "media_type": artifact.media_type,
        "sha256": sha256,
        "size": len(payload),
        "uri": blob_uri(sha256) if artifact.data is not None else None,
        "text": artifact.text,
        "artifact_metadata": dict(artifact.metadata),
    }


def _evaluation_values(
    evaluation: NewEvaluation, sample_index: int, artifact_count: int
) -> tuple[dict[str, Any], int | None]:
    result, index = evaluation.result, evaluation.artifact_index
    if index is not None and not 0 <= index < artifact_count:
        raise ValueError(
            f"evaluation {evaluation.evaluator}/{result.metric} of sample {sample_index} names "
            f"artifact_index {index}, but the sample has {artifact_count} artifacts"
        )
    return metric_columns(evaluation.evaluator, evaluation.evaluator_version, result), index


def insert(session: Session, plans: Sequence[PlannedRequest]) -> list[GenerationResult]:
    """Insert ``plans`` in ``session``'s transaction; their results, in order."""
    request_ids = _insert_returning_ids(session, RequestRow, [p.values for p in plans])
    samples = [(s, request_id) for p, request_id in zip(plans, request_ids, strict=True) for s in p.samples]
    sample_ids = _insert_returning_ids(
        session, GenerationRow, [s.values | {"request_id": r} for s, r in samples]
    )
    artifacts = [
        (values, sample_id)
        for (s, _), sample_id in zip(samples, sample_ids, strict=True)
        for values in s.artifacts
    ]
    artifact_ids = _insert_returning_ids(
        session, ArtifactRow, [values | {"generation_id": g} for values, g in artifacts]
    )
    ids_of_artifacts = iter(artifact_ids)
    for (sample, _), sample_id in zip(samples, sample_ids, strict=True):
        sample.ids = {"id": sample_id, "artifacts": [next(ids_of_artifacts) for _ in sample.artifacts]}
    evaluations = [
        values | {"generation_id": s.ids["id"], "artifact_id": None if i is None else s.ids["artifacts"][i]}
        for s, _ in samples
        for values, i in s.evaluations
    ]
    evaluation_ids = iter(_insert_returning_ids(session, EvaluationRow, evaluations))
    set_evaluations = [
        v | {"request_id": r} for p, r in zip(plans, request_ids, strict=True) for v in p.set_evaluations
    ]
    set_evaluation_ids = iter(_insert_returning_ids(session, SetEvaluationRow, set_evaluations))
    evaluation_values = iter(evaluations)
    set_evaluation_values = iter(set_evaluations)
    return [
        _result(p, request_id, evaluation_values, evaluation_ids, set_evaluation_values, set_evaluation_ids)
        for p, request_id in zip(plans, request_ids, strict=True)
    ]


def _insert_returning_ids(session: Session, table: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = sa.insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _result(
    planned: PlannedRequest,
    request_id: int,
    evaluation_values: Any,
    evaluation_ids: Any,
    set_evaluation_values: Any,
    set_evaluation_ids: Any,
) -> GenerationResult:
    values = planned.values
    generations = []
    for sample in planned.samples:
        sample_id = sample.ids["id"]
        artifacts = [
            Artifact.model_construct(
                id=artifact_id,
                generation_id=sample_id,
                metadata=a["artifact_metadata"],
                **{k: v for k, v in a.items() if k != "artifact_metadata"},
            )
            for a, artifact_id in zip(sample.artifacts, sample.ids["artifacts"], strict=True)
        ]
        evaluations = [
            Evaluation.model_construct(id=next(evaluation_ids), **next(evaluation_values))
            for _ in sample.evaluations
        ]
        messages = sample.values["messages"]
        generations.append(
            Generation.model_construct(
                id=sample_id,
                request_id=request_id,
                artifacts=artifacts,
                evaluations=evaluations,
                **(sample.values | {"messages": _messages(messages)}),
            )
        )
    return GenerationResult.model_construct(
        request_id=request_id,
        created_at=values["created_at"],
        generator=values["generator"],
        status=values["status"],
        error=values["error"],
        timings=values["timings"],
        best_of=values["best_of"],
        generations=generations,
        set_evaluations=[
            SetEvaluation.model_construct(id=next(set_evaluation_ids), **next(set_evaluation_values))
            for _ in planned.set_evaluations
        ],
    )


def _messages(messages: list[dict[str, str]] | None) -> list[ChatMessage] | None:
    return None if messages is None else [ChatMessage.model_validate(m) for m in messages]
