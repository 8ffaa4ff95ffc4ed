"""Rows to the records callers see (``aigc.core.schemas`` and ``aigc.storage.views``), and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aigc.core.runtime import LoadedModel
from aigc.core.schemas import (
    Artifact,
    EvalResult,
    Evaluation,
    Feedback,
    Generation,
    GenerationResult,
    SetEvaluation,
)
from aigc.core.specs import ArtifactData
from aigc.storage.blobs import sha256_hex
from aigc.storage.models import (
    ArtifactRow,
    EvaluationRow,
    FeedbackRow,
    GenerationRow,
    MetricColumns,
    ModelRow,
    PluginErrorRow,
    RequestRow,
    SetEvaluationRow,
    utc_now,
)
from aigc.storage.records import NewEvaluation, NewGeneration, NewRequest
from aigc.storage.views import ModelRecord, PluginErrorRecord


def artifact_from_row(row: ArtifactRow) -> Artifact:
    """The stored artifact."""
    return Artifact(
        id=row.id,
        generation_id=row.generation_id,
        index=row.index,
        media_type=row.media_type,
        sha256=row.sha256,
        size=row.size,
        uri=row.uri,
        text=row.text,
        metadata=row.artifact_metadata,
    )


def _metric_fields(row: MetricColumns) -> dict[str, Any]:
    return {
        "evaluator": row.evaluator,
        "evaluator_version": row.evaluator_version,
        "metric": row.metric,
        "score": row.score,
        "value": row.value,
        "passed": row.passed,
        "reason": row.reason,
        "details": row.details,
        "error": row.error,
    }


def _metric_columns(evaluator: str, evaluator_version: str, result: EvalResult) -> dict[str, Any]:
    return {
        "evaluator": evaluator,
        "evaluator_version": evaluator_version,
        "metric": result.metric,
        "score": result.score,
        "value": result.value,
        "passed": result.passed,
        "reason": result.reason,
        "details": result.details,
        "error": result.error,
    }


def evaluation_from_row(row: EvaluationRow) -> Evaluation:
    """The stored evaluation result."""
    return Evaluation(
        id=row.id, generation_id=row.generation_id, artifact_id=row.artifact_id, **_metric_fields(row)
    )


def set_evaluation_from_row(row: SetEvaluationRow) -> SetEvaluation:
    """The stored set-level evaluation result."""
    return SetEvaluation(
        id=row.id, request_id=row.request_id, sample_count=row.sample_count, **_metric_fields(row)
    )


def generation_from_row(row: GenerationRow) -> Generation:
    """The stored sample with its artifacts and evaluations (which must be loaded already)."""
    return Generation(
        id=row.id,
        request_id=row.request_id,
        index=row.index,
        created_at=row.created_at,
        generator=row.generator,
        generator_version=row.generator_version,
        model_sha256=row.model_sha256,
        prompt=row.prompt,
        messages=row.messages,
        options=row.options,
        seed=row.seed,
        key=row.key,
        status=row.status,  # a CHECK constraint keeps it in range
        score=row.score,
        reasons=row.reasons,
        error=row.error,
        timings=row.timings,
        artifacts=[artifact_from_row(a) for a in row.artifacts],
        evaluations=[evaluation_from_row(e) for e in row.evaluations],
    )


def result_from_row(row: RequestRow) -> GenerationResult:
    """The stored request with its samples (loaded already)."""
    return GenerationResult(
        request_id=row.id,
        created_at=row.created_at,
        generator=row.generator,
        status=row.status,  # a CHECK constraint keeps it in range
        error=row.error,
        timings=row.timings,
        best_of=row.best_of,
        generations=[generation_from_row(g) for g in row.generations],
        set_evaluations=[set_evaluation_from_row(e) for e in row.set_evaluations],
    )


def feedback_from_row(row: FeedbackRow) -> Feedback:
    """The stored feedback."""
    return Feedback(
        id=row.id,
        artifact_id=row.artifact_id,
        rating=row.rating,
        label=row.label,
        comment=row.comment,
        author=row.author,
        created_at=row.created_at,
    )


def model_from_row(row: ModelRow) -> ModelRecord:
    """The recorded model file."""
    return ModelRecord(
        id=row.id,
        name=row.name,
        version=row.version,
        file=row.file,
        sha256=row.sha256,
        opset=row.opset,
        providers=row.providers,
        first_seen=row.first_seen,
        last_used=row.last_used,
    )


def plugin_error_from_row(row: PluginErrorRow) -> PluginErrorRecord:
    """The recorded plugin failure."""
    return PluginErrorRecord(
        id=row.id,
        plugin=row.plugin,
        stage=row.stage,
        error_type=row.error_type,
        message=row.message,
        traceback=row.traceback,
        created_at=row.created_at,
    )


def export_record(row: GenerationRow) -> dict[str, Any]:
    """One generation as a JSON-able dict: provenance, outcome, artifacts with feedback, evaluations."""
    record: dict[str, Any] = generation_from_row(row).model_dump(mode="json")
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
        artifact.id: [feedback_from_row(f).model_dump(mode="json") for f in artifact.feedback]
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
