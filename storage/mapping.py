"""Rows to the records callers see (``aigc.core.schemas`` and ``aigc.storage.views``, read through
pydantic's ``from_attributes``), and records to rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from aigc.core.runtime import LoadedModel
from aigc.core.schemas import EvalResult, Feedback, Generation
from aigc.core.specs import ArtifactData
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

R = TypeVar("R", bound=BaseModel)


def from_row(model: type[R], row: object) -> R:
    """The record ``model`` of a row (and the related rows it names, loaded already)."""
    return model.model_validate(row, from_attributes=True)


def _metric_columns(evaluator: str, evaluator_version: str, result: EvalResult) -> dict[str, Any]:
    return {
        "evaluator": evaluator,
        "evaluator_version": evaluator_version,
        **result.model_dump(include={"metric", "score", "value", "passed", "reason", "details", "error"}),
    }


def export_record(row: GenerationRow) -> dict[str, Any]:
    """One generation as a JSON-able dict: provenance, outcome, artifacts with feedback, evaluations."""
    record: dict[str, Any] = from_row(Generation, row).model_dump(mode="json")
    record["request"] = {
        "id": row.request.id,
        "n": row.request.n,
        "best_of": row.request.best_of,
        "seed": row.request.seed,
        "evaluators": row.request.evaluators,
        "policy": row.request.policy,
        "metadata": row.request.request_metadata,
    }
    feedback_by_artifact = {
        artifact.id: [from_row(Feedback, f).model_dump(mode="json") for f in artifact.feedback]
        for artifact in row.artifacts
    }
    for artifact in record["artifacts"]:
        artifact["feedback"] = feedback_by_artifact[artifact["id"]]
    return record


def request_row(request: NewRequest, blob_uri: Callable[[str], str]) -> RequestRow:
    """Rows for a request and everything under it; ``blob_uri`` gives the URI of a blob's sha256."""
    row = RequestRow(
        created_at=utc_now(),
        generator=request.generator,
        generator_version=request.generator_version,
        model_sha256=request.model_sha256,
        prompt=request.prompt,
        messages=request.messages,
        options=request.options,
        n=request.n,
        best_of=request.best_of,
        seed=request.seed,
        evaluators=request.evaluators,
        policy=request.policy,
        request_metadata=dict(request.metadata),
        status=request.status,
        error=request.error,
        traceback=request.traceback,
        timings=request.timings,
    )
    row.generations = [_generation_row(request, sample, row, blob_uri) for sample in request.generations]
    row.set_evaluations = [
        SetEvaluationRow(
            sample_count=e.sample_count, **_metric_columns(e.evaluator, e.evaluator_version, e.result)
        )
        for e in request.set_evaluations
    ]
    return row


def _generation_row(
    request: NewRequest, sample: NewGeneration, parent: RequestRow, blob_uri: Callable[[str], str]
) -> GenerationRow:
    artifacts = [_artifact_row(index, a, blob_uri) for index, a in enumerate(sample.artifacts)]
    row = GenerationRow(
        created_at=parent.created_at,
        index=sample.index,
        generator=request.generator,
        generator_version=request.generator_version,
        model_sha256=request.model_sha256,
        prompt=request.prompt,
        messages=request.messages,
        options=request.options,
        seed=sample.seed,
        key=sample.key,
        idempotency_key=sample.idempotency_key,
        job_run_id=sample.job_run_id,
        status=sample.status,
        score=sample.score,
        reasons=list(sample.reasons),
        error=sample.error,
        timings=sample.timings,
        artifacts=artifacts,
    )
    row.evaluations = [_evaluation_row(e, row, artifacts) for e in sample.evaluations]
    return row


def _artifact_row(index: int, artifact: ArtifactData, blob_uri: Callable[[str], str]) -> ArtifactRow:
    payload = artifact.payload
    sha256 = payload_sha256(artifact)
    return ArtifactRow(
        index=index,
        media_type=artifact.media_type,
        sha256=sha256,
        size=len(payload),
        uri=blob_uri(sha256) if artifact.data is not None else None,
        text=artifact.text,
        artifact_metadata=dict(artifact.metadata),
    )


def _evaluation_row(
    evaluation: NewEvaluation, generation: GenerationRow, artifacts: list[ArtifactRow]
) -> EvaluationRow:
    result = evaluation.result
    index = evaluation.artifact_index
    if index is not None and not 0 <= index < len(artifacts):
        raise ValueError(
            f"evaluation {evaluation.evaluator}/{result.metric} of sample {generation.index} names "
            f"artifact_index {index}, but the sample has {len(artifacts)} artifacts"
        )
    return EvaluationRow(
        artifact=artifacts[index] if index is not None else None,
        **_metric_columns(evaluation.evaluator, evaluation.evaluator_version, result),
    )


def payload_sha256(artifact: ArtifactData) -> str:
    """Hex sha256 of an artifact's bytes (text: its UTF-8 encoding)."""
    digest: str = sha256_hex(artifact.payload)
    return digest


def model_key(model: LoadedModel) -> tuple[str, str, str, str]:
    """What identifies a model file in the ``models`` table."""
    return (model.name, model.version, model.file, model.sha256)
