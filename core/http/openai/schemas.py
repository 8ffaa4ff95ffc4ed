"""Request and response bodies of the OpenAI-compatible endpoints, with OpenAI's own limits.

Fields OpenAI defines that change nothing here (``user``, ``metadata``, ``store``, ``service_tier``,
``parallel_tool_calls``) are accepted and ignored, as OpenAI-compatible servers conventionally do;
any other field is refused naming it, as OpenAI itself refuses unrecognized arguments.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aigc.core.specs import MAX_PROMPT_CHARS

IGNORED_FIELDS = ("user", "metadata", "store", "service_tier", "parallel_tool_calls")
MAX_STOP_STRINGS = 4  # OpenAI's limit


class OpenAIBody(BaseModel):
    """A request body: unknown fields refused, the ignored ones accepted."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(None, max_length=256, description="ignored")
    metadata: dict[str, str] | None = Field(None, description="ignored")
    store: bool | None = Field(None, description="ignored: every request is stored")
    service_tier: str | None = Field(None, max_length=32, description="ignored")
    parallel_tool_calls: bool | None = Field(None, description="ignored: tools are not supported")


class TextPart(BaseModel):
    """A text part of a message's content."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str = Field(max_length=MAX_PROMPT_CHARS)


class Message(BaseModel):
    """A chat message; ``developer`` is read as ``system``."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = Field(None, max_length=64, description="ignored")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_usage: bool = False


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text", "json_object", "json_schema"]


class Sampling(OpenAIBody):
    """What chat and legacy completions share."""

    model: str = Field(min_length=1, max_length=128)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    n: int = Field(1, ge=1, le=128)
    stop: Annotated[str, Field(min_length=1)] | list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description=f"up to {MAX_STOP_STRINGS} strings that end the text"
    )
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    logprobs: Any = None


class ChatCompletionRequest(Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[Message] = Field(min_length=1, max_length=256)
    max_completion_tokens: int | None = Field(None, ge=1, le=1_000_000)
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    response_format: ResponseFormat | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None


class CompletionRequest(Sampling):
    """``POST /v1/completions`` (legacy prompt completion)."""

    prompt: str | list[str] = Field(max_length=MAX_PROMPT_CHARS)
    logprobs: int | None = Field(None, ge=0, le=20)
    echo: bool = False
    suffix: str | None = None
    best_of: int | None = Field(None, ge=1, le=128)


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Verdict(BaseModel):
    """aigc's record of a choice: the stored sample, and whether the acceptance policy kept it."""

    generation_id: int
    request_id: int
    status: str
    score: float | None
    reasons: list[str]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    """OpenAI's error body."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "invalid request: `param` names the field",
        401: "no valid API key",
        403: "the API key's scope does not allow this",
        404: "no such model",
        429: "rate limit or work budget exceeded; see Retry-After",
    }.items()
}


class EmbeddingRequest(OpenAIBody):
    """``POST /v1/embeddings``."""

    model: str = Field(min_length=1, max_length=128)
    input: str | list[str] = Field(description="a text or up to 2,048 texts")
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, ge=1, le=65_536)


class ImageRequest(OpenAIBody):
    """``POST /v1/images/generations``; ``options`` (aigc's) are the generator's own options."""

    model: str = Field(min_length=1, max_length=128)
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)
    n: int = Field(1, ge=1, le=128)
    size: str | None = Field(None, max_length=16)
    response_format: Literal["url", "b64_json"] = "url"
    quality: str | None = Field(None, max_length=16, description="ignored")
    style: str | None = Field(None, max_length=16, description="ignored")
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    options: dict[str, Any] = Field(default_factory=dict, description="the generator's own options")


class SpeechRequest(OpenAIBody):
    """``POST /v1/audio/speech``."""

    model: str = Field(min_length=1, max_length=128)
    input: str = Field(min_length=1, max_length=4096)
    voice: str = Field(min_length=1, max_length=64)
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(1.0, ge=0.25, le=4.0)
    instructions: str | None = Field(None, max_length=4096)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
