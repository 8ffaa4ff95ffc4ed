"""SELECT statements the store runs, each named after what it returns.

Related rows load with ``selectinload`` (one extra query per relationship and page, never one
per row).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from aigc.storage.filters import GenerationFilter, RequestFilter
from aigc.storage.models import (
    ArtifactRow,
    EvaluationRow,
    FeedbackRow,
    GenerationRow,
    ModelRow,
    PluginErrorRow,
    RequestRow,
)


def request_with_generations(request_id: int) -> sa.Select[RequestRow]:
    """The request, its set-level evaluations, its generations and their artifacts and evaluations."""
    return _with_results(sa.select(RequestRow).where(RequestRow.id == request_id))


def _with_results(statement: sa.Select[RequestRow]) -> sa.Select[RequestRow]:
    return statement.options(
        selectinload(RequestRow.generations).selectinload(GenerationRow.artifacts),
        selectinload(RequestRow.generations).selectinload(GenerationRow.evaluations),
        selectinload(RequestRow.set_evaluations),
    )


def generation_with_contents(generation_id: int) -> sa.Select[GenerationRow]:
    """One generation with its artifacts and evaluations."""
    return (
        sa.select(GenerationRow)
        .where(GenerationRow.id == generation_id)
        .options(selectinload(GenerationRow.artifacts), selectinload(GenerationRow.evaluations))
    )


def _conditions(where: GenerationFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if where.generator is not None:
        conditions.append(GenerationRow.generator == where.generator)
    if where.status is not None:
        conditions.append(GenerationRow.status == where.status)
    if where.request_id is not None:
        conditions.append(GenerationRow.request_id == where.request_id)
    if where.min_score is not None:
        conditions.append(GenerationRow.score >= where.min_score)
    if where.job_run_id is not None:
        conditions.append(GenerationRow.job_run_id == where.job_run_id)
    if where.metric is not None:
        conditions.append(GenerationRow.id.in_(_evaluated_on(where.metric, where.min_metric_score)))
    if where.rated is not None:
        rated = GenerationRow.id.in_(_rated_generations())
        if where.rated:
            conditions.append(rated)
        else:  # something to rate (failed samples have no artifacts), nothing rated yet
            conditions.extend([GenerationRow.id.in_(sa.select(ArtifactRow.generation_id)), ~rated])
    return conditions


def _rated_generations() -> sa.Select[int]:
    return sa.select(ArtifactRow.generation_id).join(FeedbackRow, FeedbackRow.artifact_id == ArtifactRow.id)


def _request_conditions(where: RequestFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if where.generator is not None:
        conditions.append(RequestRow.generator == where.generator)
    if where.status is not None:
        conditions.append(RequestRow.status == where.status)
    return conditions


def _evaluated_on(key: str, min_score: float | None) -> sa.Select[int]:
    evaluator, _, metric = key.rpartition("/")
    scored = [EvaluationRow.metric == metric]
    if evaluator:
        scored.append(EvaluationRow.evaluator == evaluator)
    if min_score is not None:
        scored.append(EvaluationRow.score >= min_score)
    return sa.select(EvaluationRow.generation_id).where(*scored)


def newest_generations(where: GenerationFilter, *, limit: int, offset: int) -> sa.Select[GenerationRow]:
    """A page of matching generations, newest first, with their artifacts and evaluations."""
    return (
        sa.select(GenerationRow)
        .where(*_conditions(where))
        .order_by(GenerationRow.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(GenerationRow.artifacts), selectinload(GenerationRow.evaluations))
    )


def generation_count(where: GenerationFilter) -> sa.Select[int]:
    """How many generations match."""
    return sa.select(sa.func.count(GenerationRow.id)).where(*_conditions(where))


def newest_requests(where: RequestFilter, *, limit: int, offset: int) -> sa.Select[RequestRow]:
    """A page of matching requests, newest first, each loaded as ``request_with_generations``."""
    return _with_results(
        sa.select(RequestRow)
        .where(*_request_conditions(where))
        .order_by(RequestRow.id.desc())
        .limit(limit)
        .offset(offset)
    )


def request_count(where: RequestFilter) -> sa.Select[int]:
    """How many requests match."""
    return sa.select(sa.func.count(RequestRow.id)).where(*_request_conditions(where))


def generations_for_export(where: GenerationFilter, *, after_id: int, limit: int) -> sa.Select[GenerationRow]:
    """The next page of matching generations, oldest first, after ``after_id`` (keyset paging).

    Each comes with its request, artifacts (with their feedback) and evaluations.
    """
    return (
        sa.select(GenerationRow)
        .where(GenerationRow.id > after_id, *_conditions(where))
        .order_by(GenerationRow.id)
        .limit(limit)
        .options(
            selectinload(GenerationRow.request),
            selectinload(GenerationRow.artifacts).selectinload(ArtifactRow.feedback),
            selectinload(GenerationRow.evaluations),
        )
    )


def feedback_rows(artifact_id: int | None) -> sa.Select[FeedbackRow]:
    """Feedback, oldest first; only one artifact's when ``artifact_id`` is given."""
    statement = sa.select(FeedbackRow).order_by(FeedbackRow.id)
    if artifact_id is not None:
        statement = statement.where(FeedbackRow.artifact_id == artifact_id)
    return statement


def newest_plugin_errors(limit: int) -> sa.Select[PluginErrorRow]:
    """The most recent plugin errors first."""
    return sa.select(PluginErrorRow).order_by(PluginErrorRow.id.desc()).limit(limit)


def models_by_name() -> sa.Select[ModelRow]:
    """Every recorded model file, by name, version and file."""
    return sa.select(ModelRow).order_by(ModelRow.name, ModelRow.version, ModelRow.file, ModelRow.id)


def model_row_for_update(name: str, version: str, file: str, sha256: str) -> sa.Select[ModelRow]:
    """The row of one model file, locked until the transaction ends (where the database can)."""
    return (
        sa.select(ModelRow)
        .where(
            ModelRow.name == name,
            ModelRow.version == version,
            ModelRow.file == file,
            ModelRow.sha256 == sha256,
        )
        .with_for_update()
    )


def generations_by_idempotency_key(keys: list[str]) -> sa.Select[str | None, int]:
    """(idempotency key, generation id) of the stored samples among ``keys``."""
    return sa.select(GenerationRow.idempotency_key, GenerationRow.id).where(
        GenerationRow.idempotency_key.in_(keys)
    )


def blob_hashes() -> sa.Select[str]:
    """The sha256 of every artifact kept in the blob store (not inline text)."""
    return sa.select(ArtifactRow.sha256).where(ArtifactRow.uri.is_not(None)).distinct()
