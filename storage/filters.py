"""Which stored generations and requests a listing keeps, and how it pages: one model each, used alike
by ``Store``, ``GET /v1/generations``, ``GET /v1/requests``, the gallery and ``aigc results``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from aigc.core.schemas import MAX_ID, GenerationStatus, RequestStatus
from aigc.core.specs import NAME_PATTERN

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000_000


class GenerationFilter(BaseModel):
    """Which samples a listing keeps; an unset field means any."""

    model_config = ConfigDict(frozen=True)

    generator: str | None = Field(None, pattern=NAME_PATTERN, description="only this generator's")
    status: GenerationStatus | None = Field(None, description="only samples with this verdict")
    min_score: float | None = Field(None, ge=0, le=1, description="lowest policy score")
    metric: str | None = Field(
        None, min_length=1, max_length=160, description="evaluated on this metric (name or evaluator/name)"
    )
    min_metric_score: float | None = Field(None, ge=0, le=1, description="with at least this score on metric")
    job_run_id: int | None = Field(None, ge=1, le=MAX_ID, description="only this job run's")
    request_id: int | None = Field(None, ge=1, le=MAX_ID, description="only this request's")
    rated: bool | None = Field(
        None, description="only samples with feedback (true), or with artifacts but no feedback yet (false)"
    )

    @field_validator("min_metric_score")
    @classmethod
    def _needs_metric(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("metric") is None:
            raise ValueError("needs metric: the metric whose score to compare")
        return value


class RequestFilter(BaseModel):
    """Which requests a listing keeps; an unset field means any."""

    model_config = ConfigDict(frozen=True)

    generator: str | None = Field(None, pattern=NAME_PATTERN, description="only this generator's")
    status: RequestStatus | None = Field(None, description="completed, or failed (no sample stored)")


class Page(BaseModel):
    """A window of a listing: ``limit`` rows from ``offset``."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="rows per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")
