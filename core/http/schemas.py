"""Response bodies of the HTTP API that the core schemas do not already describe."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from aigc.core.schemas import Generation, GenerationResult
from aigc.core.specs import EvalScope, Modality, PromptUse
from aigc.storage.filters import GenerationFilter, Page, RequestFilter


class FieldError(BaseModel):
    """One invalid field: where, what was sent and what the limit is."""

    field: str
    value: Any = None
    message: str


class ErrorBody(BaseModel):
    """Every error response: a sentence, and for invalid requests one entry per bad field."""

    detail: str
    errors: list[FieldError] = []


class GeneratorInfo(BaseModel):
    """An installed generator and the JSON schema of its options."""

    name: str
    modality: Modality
    version: str
    description: str
    media_types: list[str]
    prompt: PromptUse
    max_batch_size: int
    stateless: bool
    batched: bool
    options_schema: dict[str, Any]


class EvaluatorInfo(BaseModel):
    """An installed evaluator: what it scores, over one artifact or a set, and its options' schema."""

    name: str
    version: str
    description: str
    media_types: list[str]
    scope: EvalScope
    options_schema: dict[str, Any]


class GenerationQuery(GenerationFilter, Page):
    """``GET /v1/generations``'s query: which samples, and which page of them."""


class RequestQuery(RequestFilter, Page):
    """``GET /v1/requests``'s query: which requests, and which page of them."""


class GenerationPage(BaseModel):
    """A page of stored samples, newest first."""

    items: list[Generation]
    total: int
    limit: int
    offset: int


class RequestPage(BaseModel):
    """A page of stored requests, newest first (a failed one has no samples, only its error)."""

    items: list[GenerationResult]
    total: int
    limit: int
    offset: int


class PendingGeneration(BaseModel):
    """A request still running (or finished since): poll ``poll`` until ``status`` is not pending."""

    id: str
    status: Literal["pending", "completed", "failed"]
    poll: str
    result: GenerationResult | None = None
    error: str | None = None


class Health(BaseModel):
    """The server is up and its database answers."""

    status: Literal["ok"]
    generators: int
