"""What the engine hands the store to write: one request with its samples, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigc.core.schemas import EvalResult
from aigc.core.specs import ArtifactData


@dataclass(frozen=True)
class NewEvaluation:
    """An evaluator result; ``artifact_index`` is the artifact's index within its sample (or None)."""

    evaluator: str
    evaluator_version: str
    result: EvalResult
    artifact_index: int | None


@dataclass(frozen=True)
class NewSetEvaluation:
    """A set-level evaluator result over ``sample_count`` artifacts of the request."""

    evaluator: str
    evaluator_version: str
    result: EvalResult
    sample_count: int


@dataclass(frozen=True)
class NewGeneration:
    """One sample to store. ``key`` is its deterministic generation key (see ``aigc.core.keys``)."""

    index: int
    seed: int
    key: str
    status: str
    score: float | None
    reasons: list[str]
    error: str | None
    timings: dict[str, float]
    artifacts: list[ArtifactData]
    evaluations: list[NewEvaluation]
    idempotency_key: str | None = None
    job_run_id: int | None = None


@dataclass(frozen=True)
class JobItemLink:
    """The job item a single-sample request produces: its run and idempotency key."""

    run_id: int
    idempotency_key: str


@dataclass(frozen=True)
class NewRequest:
    """A generation request as run: resolved options, outcome and samples."""

    generator: str
    generator_version: str
    model_sha256: str | None
    prompt: str | None
    options: dict[str, Any]
    n: int
    seed: int
    evaluators: list[dict[str, Any]]
    policy: dict[str, Any] | None
    status: str
    error: str | None
    timings: dict[str, float]
    metadata: dict[str, str] = field(default_factory=dict)
    best_of: int = 1
    messages: list[dict[str, str]] | None = None
    traceback: str | None = None
    generations: list[NewGeneration] = field(default_factory=list)
    set_evaluations: list[NewSetEvaluation] = field(default_factory=list)


@dataclass(frozen=True)
class NewJobItem:
    """One sample a job run must produce: its input row, seed and idempotency key."""

    input_index: int
    sample_index: int
    input: dict[str, Any]
    seed: int
    idempotency_key: str
