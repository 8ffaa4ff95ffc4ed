"""Requests as the engine hands them to the store, built with as little ceremony as a test needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aigc.core.schemas import EvalResult
from aigc.core.specs import ArtifactData
from aigc.storage.models import Base
from aigc.storage.records import NewEvaluation, NewGeneration, NewRequest
from aigc.storage.store import Store


def png_like(seed: int) -> bytes:
    """Distinct, deterministic bytes standing in for an image file."""
    return b"\x89PNG\r\n\x1a\n" + seed.to_bytes(8, "big") * 16


def new_generation(
    index: int = 0,
    *,
    seed: int = 7,
    status: str = "accepted",
    artifacts: list[ArtifactData] | None = None,
    evaluations: list[NewEvaluation] | None = None,
    idempotency_key: str | None = None,
) -> NewGeneration:
    """One sample: by default an image with one artifact-level and one sample-level evaluation."""
    if artifacts is None:
        artifacts = [ArtifactData("image/png", data=png_like(seed + index), metadata={"label": 3})]
    if evaluations is None:
        evaluations = [
            NewEvaluation(
                "class-match",
                "1.0",
                EvalResult(metric="class_match", score=0.75, value=0.75, passed=True, details={"top": 3}),
                artifact_index=0,
            ),
            NewEvaluation("length", "0.2", EvalResult(metric="length", value=12.0), artifact_index=None),
        ]
    return NewGeneration(
        index=index,
        seed=seed + index,
        key=f"{seed + index:064x}",
        status=status,
        score=0.75 if status != "failed" else None,
        reasons=[] if status == "accepted" else [f"{status} on purpose"],
        error="boom" if status == "failed" else None,
        timings={"generate_ms": 1.5, "evaluate_ms": 0.25},
        artifacts=artifacts,
        evaluations=evaluations,
        idempotency_key=idempotency_key,
    )


def new_request(
    n: int = 2,
    *,
    generator: str = "toy-gan",
    seed: int = 7,
    prompt: str | None = None,
    generations: list[NewGeneration] | None = None,
    **fields: Any,
) -> NewRequest:
    """A completed request of ``n`` default samples (or the ``generations`` given)."""
    if generations is None:
        generations = [new_generation(i, seed=seed) for i in range(n)]
    values: dict[str, Any] = {
        "generator": generator,
        "generator_version": "0.3.0",
        "model_sha256": "ab" * 32,
        "prompt": prompt,
        "options": {"label": 3, "truncation": 0.7},
        "n": len(generations),
        "seed": seed,
        "evaluators": [{"name": "class-match", "version": "1.0", "options": {}}],
        "policy": {"min_score": 0.5, "weights": {}, "thresholds": {}, "require_passed": True},
        "status": "completed",
        "error": None,
        "timings": {"total_ms": 3.0},
        "metadata": {"client": "tests"},
        "generations": generations,
    }
    values.update(fields)
    return NewRequest(**values)


def read_session(store: Store) -> Session:
    """A session on the store's database, for tests that look at rows directly."""
    return Session(store.engine)


def row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the schema."""
    with read_session(store) as session:
        return {
            table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
