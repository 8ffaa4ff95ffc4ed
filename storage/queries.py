"""SELECT statements the store runs, each named after what it returns.

Related rows load with ``selectinload`` (one extra query per relationship and page, never one
per row).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from aigc.storage.models import ArtifactRow, FeedbackRow, GenerationRow, ModelRow, PluginErrorRow, RequestRow


def request_with_generations(request_id: int) -> sa.Select[RequestRow]:
    """The request, its set-level evaluations, its generations and their artifacts and evaluations."""
    return (
        sa.select(RequestRow)
        .where(RequestRow.id == request_id)
        .options(
            selectinload(RequestRow.generations).selectinload(GenerationRow.artifacts),
            selectinload(RequestRow.generations).selectinload(GenerationRow.evaluations),
            selectinload(RequestRow.set_evaluations),
        )
    )


def generation_with_contents(generation_id: int) -> sa.Select[GenerationRow]:
    """One generation with its artifacts and evaluations."""
    return (
        sa.select(GenerationRow)
        .where(GenerationRow.id == generation_id)
        .options(selectinload(GenerationRow.artifacts), selectinload(GenerationRow.evaluations))
    )


def _generation_filters(
    generator: str | None, status: str | None, request_id: int | None
) -> list[sa.ColumnElement[bool]]:
    filters: list[sa.ColumnElement[bool]] = []
    if generator is not None:
        filters.append(GenerationRow.generator == generator)
    if status is not None:
        filters.append(GenerationRow.status == status)
    if request_id is not None:
        filters.append(GenerationRow.request_id == request_id)
    return filters


def newest_generations(
    *, generator: str | None, status: str | None, request_id: int | None, limit: int, offset: int
) -> sa.Select[GenerationRow]:
    """A page of matching generations, newest first, with their artifacts and evaluations."""
    return (
        sa.select(GenerationRow)
        .where(*_generation_filters(generator, status, request_id))
        .order_by(GenerationRow.id.desc())
        .limit(limit)
        .offset(offset)
        .options(selectinload(GenerationRow.artifacts), selectinload(GenerationRow.evaluations))
    )


def generation_count(*, generator: str | None, status: str | None, request_id: int | None) -> sa.Select[int]:
    """How many generations match."""
    return sa.select(sa.func.count(GenerationRow.id)).where(
        *_generation_filters(generator, status, request_id)
    )


def generations_for_export(
    *, generator: str | None, status: str | None, after_id: int, limit: int
) -> sa.Select[GenerationRow]:
    """The next page of matching generations, oldest first, after ``after_id`` (keyset paging).

    Each comes with its request, artifacts (with their feedback) and evaluations.
    """
    return (
        sa.select(GenerationRow)
        .where(GenerationRow.id > after_id, *_generation_filters(generator, status, None))
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
