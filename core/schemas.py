"""Requests, results and policies: the validated data that crosses aigc's edges."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aigc.core.specs import MAX_PROMPT_CHARS, NAME_PATTERN, ArtifactData, ChatMessage
from aigc.core.validation import storable_problem

MAX_SAMPLES = 256
MAX_BEST_OF = 16
MAX_SEED = 2**53  # seeds survive a round trip through JSON and JavaScript exactly
MAX_MESSAGES = 256
MAX_CONVERSATION_CHARS = 100_000
MAX_ID = 2**62  # no stored id reaches this; larger ones would overflow 64-bit database integers

Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=64)]
MetricKey = Annotated[str, Field(min_length=1, max_length=160)]
GenerationStatus = Literal["accepted", "rejected", "failed"]
RequestStatus = Literal["completed", "failed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        # One behaviour on every database: PostgreSQL refuses NUL in text, JSON has no NaN. Plugin
        # options are checked with their own names by ``preparation.validate_options``.
        if info.field_name != "options" and (problem := storable_problem(value)):
            raise ValueError(problem)
        return value


def evaluator_names_as_refs(value: Any) -> Any:
    """Let a list of evaluators name them by string: ``["a"]`` means ``[{"name": "a"}]``."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class EvaluatorRef(_Strict):
    """An evaluator to run on every sample, with its options."""

    name: Name
    options: dict[str, Any] = Field(default_factory=dict, max_length=64)


class MetricThreshold(_Strict):
    """Bounds a metric must stay within for a sample to be accepted."""

    min: float | None = Field(None, description="lowest acceptable value (inclusive)")
    max: float | None = Field(None, description="highest acceptable value (inclusive)")
    on: Literal["score", "value"] = Field("score", description="check the [0,1] score or the raw value")

    @model_validator(mode="after")
    def _bounds_ordered(self) -> MetricThreshold:
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class AcceptancePolicy(_Strict):
    """How evaluator results decide acceptance.

    Metric keys are a metric name (``class_match``) or ``evaluator/metric``.
    The overall score is the weighted mean of the metric scores (equal weights when none are
    given). A sample is accepted when every threshold holds, no evaluator said it failed
    (unless ``require_passed`` is false) and the overall score reaches ``min_score``.
    """

    weights: dict[MetricKey, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=dict, max_length=64
    )
    thresholds: dict[MetricKey, MetricThreshold] = Field(default_factory=dict, max_length=64)
    min_score: float | None = Field(None, ge=0, le=1)
    require_passed: bool = True


class GenerationRequest(_Strict):
    """One call of a generator: ``n`` samples, sample ``i`` seeded with ``seed + i``.

    With ``best_of`` = k, each of the ``n`` outputs is chosen among k candidates (``n * k``
    samples, all stored): the accepted candidate with the highest score is kept and the other
    candidates are marked rejected.
    """

    generator: Name
    prompt: str | None = Field(None, max_length=MAX_PROMPT_CHARS)
    messages: list[ChatMessage] | None = Field(
        None,
        min_length=1,
        max_length=MAX_MESSAGES,
        description="a conversation, instead of a prompt, for chat generators",
    )
    options: dict[str, Any] = Field(default_factory=dict, max_length=64)
    n: int = Field(1, ge=1, le=MAX_SAMPLES, strict=True)
    best_of: int = Field(1, ge=1, le=MAX_BEST_OF, strict=True, description="candidates generated per output")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, strict=True)
    evaluators: list[EvaluatorRef] = Field(default_factory=list, max_length=16)
    policy: AcceptancePolicy | None = None
    metadata: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=32
    )

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> GenerationRequest:
        if self.prompt is not None and self.messages is not None:
            raise ValueError("give a prompt or messages, not both")
        if self.messages is not None:
            total = sum(len(m.content) for m in self.messages)
            if total > MAX_CONVERSATION_CHARS:
                raise ValueError(
                    f"messages must not exceed {MAX_CONVERSATION_CHARS} characters in all, got {total}"
                )
        return self

    @model_validator(mode="after")
    def _candidates_within_limit(self) -> GenerationRequest:
        if self.n * self.best_of > MAX_SAMPLES:
            raise ValueError(
                f"n * best_of must not exceed {MAX_SAMPLES} samples, got {self.n} * {self.best_of}"
            )
        return self

    _names_as_refs = field_validator("evaluators", mode="before")(evaluator_names_as_refs)


class EvalResult(_Strict):
    """One metric of one artifact (promptfoo's result model).

    ``score`` is normalised to [0, 1] where higher is better; ``value`` is the raw measurement.
    ``error`` is set instead when the evaluator failed on this artifact.
    ``replacement`` (item scope only, same media type) is stored instead of the evaluated
    artifact, for example the text with personal data redacted; the result itself, with its
    reason, is stored as usual, and the artifact's metadata names the evaluator that replaced it.
    """

    metric: Annotated[str, Field(min_length=1, max_length=96)]
    score: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    value: float | None = Field(None, allow_inf_nan=False)
    passed: bool | None = None
    reason: str = Field("", max_length=4000)
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = Field(None, max_length=4000)
    replacement: ArtifactData | None = Field(None, exclude=True, repr=False)

    @field_validator("details")
    @classmethod
    def _details_are_strict_json(cls, details: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(details, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"details must be JSON without NaN or Infinity ({error})") from None
        return details


class Artifact(BaseModel):
    """A stored artifact: bytes live in the blob store under their sha256, text inline."""

    id: int
    generation_id: int
    index: int
    media_type: str
    sha256: str
    size: int
    uri: str | None
    text: str | None
    # Read from a row's ``artifact_metadata`` (``metadata`` is taken on SQLAlchemy models).
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("artifact_metadata", "metadata"))


class Evaluation(EvalResult):
    """A stored evaluation result."""

    id: int
    generation_id: int
    artifact_id: int | None
    evaluator: str
    evaluator_version: str


class SetEvaluation(EvalResult):
    """A stored set-level result: one metric over all of a request's matching artifacts."""

    id: int
    request_id: int
    evaluator: str
    evaluator_version: str
    sample_count: int


class Generation(BaseModel):
    """One stored sample with its provenance, artifacts and evaluations."""

    id: int
    request_id: int
    index: int
    created_at: datetime
    generator: str
    generator_version: str
    model_sha256: str | None
    prompt: str | None
    messages: list[ChatMessage] | None = None
    options: dict[str, Any]
    seed: int
    key: str
    status: GenerationStatus
    score: float | None
    reasons: list[str]
    error: str | None
    timings: dict[str, float]
    artifacts: list[Artifact]
    evaluations: list[Evaluation]


class GenerationResult(BaseModel):
    """What ``Engine.generate`` returns: the stored request and its samples."""

    request_id: int = Field(validation_alias=AliasChoices("request_id", "id"))  # a row's ``id``
    created_at: datetime
    generator: str
    status: RequestStatus
    error: str | None
    timings: dict[str, float]
    best_of: int = 1
    generations: list[Generation]
    set_evaluations: list[SetEvaluation] = Field(default_factory=list)


class Feedback(BaseModel):
    """A person's rating of an artifact."""

    id: int
    artifact_id: int
    rating: int
    label: str | None
    comment: str | None
    author: str | None
    created_at: datetime


class FeedbackInput(_Strict):
    """Feedback as submitted: rating -1 (down) or +1 (up), or a 1-5 scale."""

    artifact_id: int = Field(ge=1, le=MAX_ID)
    rating: int = Field(ge=-1, le=5)
    label: str | None = Field(None, max_length=64)
    comment: str | None = Field(None, max_length=4000)
    author: str | None = Field(None, max_length=128)

    @field_validator("rating")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("rating must be -1 (down), +1 (up) or 2-5 on a five-point scale, not 0")
        return value
