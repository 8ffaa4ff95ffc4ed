"""Rows to the records callers see (``aigc.core.schemas`` and ``aigc.storage.views``, read through
pydantic's ``from_attributes``), and records to rows."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from aigc.core.runtime import LoadedModel
from aigc.core.schemas import Feedback, Generation
from aigc.core.specs import ArtifactData
from aigc.storage.blobs import sha256_hex
from aigc.storage.models import (
    GenerationRow,
)

R = TypeVar("R", bound=BaseModel)


def from_row(model: type[R], row: object) -> R:
    """The record ``model`` of a row (and the related rows it names, loaded already)."""
    return model.model_validate(row, from_attributes=True)


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


def payload_sha256(artifact: ArtifactData) -> str:
    """Hex sha256 of an artifact's bytes (text: its UTF-8 encoding)."""
    digest: str = sha256_hex(artifact.payload)
    return digest


def model_key(model: LoadedModel) -> tuple[str, str, str, str]:
    """What identifies a model file in the ``models`` table."""
    return (model.name, model.version, model.file, model.sha256)
