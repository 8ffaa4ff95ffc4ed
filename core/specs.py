"""What a plugin registers: generator and evaluator specs, and the objects their factories build."""

from __future__ import annotations

import collections.abc
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aigc.core.schemas import EvalResult
    from aigc.core.sdk.context import PluginContext

Modality = Literal["text", "image", "audio", "music"]
EvalScope = Literal["item", "set"]
PromptUse = Literal["none", "optional", "required"]
ChatRole = Literal["system", "user", "assistant"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
MAX_PROMPT_CHARS = 20_000
_NAME_RE = re.compile(NAME_PATTERN)


class Options(BaseModel):
    """Base class for generator and evaluator options: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample_cost(self) -> int:
        """Work units of one sample with these options: the model calls it takes (decoded tokens,
        denoising steps), 1 for one forward pass. Servers cap and meter requests by
        ``samples x sample_cost``, as hosted APIs meter tokens."""
        return 1


def sample_cost(options: BaseModel) -> int:
    """``options.sample_cost()``, or 1 for options that do not derive from ``Options``."""
    cost = getattr(options, "sample_cost", None)
    return int(cost()) if callable(cost) else 1


@dataclass(frozen=True)
class ArtifactData:
    """One output of one sample as a plugin returns it: file bytes or inline text."""

    media_type: str
    data: bytes | None = None
    text: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.data is None) == (self.text is None):
            raise ValueError("ArtifactData needs exactly one of data (bytes) or text (str)")
        if "/" not in self.media_type:
            raise ValueError(f"media_type must look like 'type/subtype', got {self.media_type!r}")

    @property
    def payload(self) -> bytes:
        """The artifact's bytes (text is UTF-8 encoded)."""
        return self.data if self.data is not None else (self.text or "").encode()


class ChatMessage(BaseModel):
    """One turn of a conversation, as chat models take it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: ChatRole
    content: str = Field(max_length=MAX_PROMPT_CHARS)


@dataclass(frozen=True)
class GeneratorInput:
    """One item of a generation batch: a prompt, or (for ``chat`` generators) a conversation."""

    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = None


@runtime_checkable
class Generator(Protocol):
    """A loaded generator. ``generate`` is batched: one seed and one list of artifacts per input."""

    model_sha256: str | None

    def generate(
        self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]: ...


@dataclass(frozen=True)
class AudioChunk:
    """A streamed piece of an audio sample: 16-bit little-endian mono PCM at ``sample_rate``."""

    pcm: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        """How long the chunk plays."""
        return len(self.pcm) / 2 / self.sample_rate


StreamChunk = str | AudioChunk
"""What a streaming generator yields: text deltas (``str``) or audio pieces (``AudioChunk``)."""


@runtime_checkable
class MultiModelGenerator(Generator, Protocol):
    """A generator whose options choose among several models (a ``model`` or ``voice`` option):
    ``model_sha256_for(options)`` is the sha256 of the model that serves ``options``, which the
    engine records in each generation's provenance instead of ``model_sha256``."""

    def model_sha256_for(self, options: Any) -> str | None: ...


@runtime_checkable
class StreamingGenerator(Generator, Protocol):
    """A generator that can also stream one sample, and returns (``StopIteration.value``) the
    finished ``ArtifactData``. A text generator yields text deltas whose concatenation is the
    sample's text; an audio generator yields ``AudioChunk``s (a sentence each, say) whose
    concatenation is the sample's audio before it is encoded in the requested format."""

    def stream(
        self, input: GeneratorInput, options: Any, seed: int
    ) -> collections.abc.Generator[StreamChunk, None, ArtifactData]: ...


@dataclass(frozen=True)
class EvalItem:
    """One artifact to evaluate, with what it was generated from."""

    artifact: ArtifactData
    prompt: str | None
    generator: str
    options: Mapping[str, Any]


@runtime_checkable
class Evaluator(Protocol):
    """A loaded evaluator: one list of results (one per metric) per item."""

    def evaluate(self, items: Sequence[EvalItem], options: Any) -> list[list[EvalResult]]: ...


@dataclass(frozen=True)
class Embeddings:
    """Unit-length embeddings of some texts (float32 ``(texts, dimensions)``) and the tokens read."""

    vectors: Any
    tokens: int


@runtime_checkable
class Embedder(Protocol):
    """An evaluator that can also embed texts: served as ``POST /v1/embeddings`` under its name."""

    def embed(self, texts: Sequence[str]) -> Embeddings: ...


@runtime_checkable
class SetEvaluator(Protocol):
    """A loaded set-level evaluator: one list of results (one per metric) for all items together,
    for metrics that only a set has (FID, diversity, mode collapse)."""

    def evaluate_set(self, items: Sequence[EvalItem], options: Any) -> list[EvalResult]: ...


def _check_common(kind: str, name: str, version: str, options: type[BaseModel]) -> None:
    if not _NAME_RE.match(name):
        raise ValueError(f"{kind} name {name!r} must match {NAME_PATTERN}")
    if not version or len(version) > 32:
        raise ValueError(f"{kind} {name!r}: version must be 1-32 characters, got {version!r}")
    if not (isinstance(options, type) and issubclass(options, BaseModel)):
        raise ValueError(f"{kind} {name!r}: options must be a pydantic model class")


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator as registered by a plugin.

    ``factory(context)`` builds the loaded generator from a ``PluginContext`` (the model runtime and
    the engine's folders); it is called once, on first use.
    ``model_dir`` is the folder holding the generator's ``manifest.json`` and model files.
    ``examples`` are partial requests (``prompt``, ``options``, ``n``) that ``aigc demo`` runs.
    ``stateless`` says a call keeps no state between calls (no KV cache, no session), so a server may
    merge concurrent requests with the same options and prompt into one ``generate`` call.
    ``chat`` says it answers conversations: requests may give ``messages`` instead of a prompt
    (``GeneratorInput.messages``), which it renders with its model's chat template.
    """

    name: str
    modality: Modality
    version: str
    options: type[BaseModel]
    factory: Callable[[PluginContext], Generator]
    media_types: tuple[str, ...]
    description: str = ""
    prompt: PromptUse = "none"
    max_batch_size: int = 64
    model_dir: Path | None = None
    examples: tuple[Mapping[str, Any], ...] = ()
    stateless: bool = False
    chat: bool = False

    def __post_init__(self) -> None:
        _check_common("generator", self.name, self.version, self.options)
        if not self.media_types:
            raise ValueError(f"generator {self.name!r}: media_types must name what it produces")
        if self.max_batch_size < 1:
            raise ValueError(f"generator {self.name!r}: max_batch_size must be >= 1")


@dataclass(frozen=True)
class EvaluatorSpec:
    """An evaluator as registered by a plugin; it is offered artifacts of ``media_types`` only.

    ``scope="item"`` evaluators score each artifact (``Evaluator``); ``scope="set"`` evaluators
    score all of a request's matching artifacts at once (``SetEvaluator``), and their results are
    stored per request. ``factory(context)`` builds it from a ``PluginContext``, once, on first use.
    """

    name: str
    version: str
    options: type[BaseModel]
    factory: Callable[[PluginContext], Evaluator | SetEvaluator]
    media_types: tuple[str, ...]
    description: str = ""
    model_dir: Path | None = None
    scope: EvalScope = "item"
    embeds: bool = False  # its evaluator is also an ``Embedder`` (served as /v1/embeddings)

    def __post_init__(self) -> None:
        _check_common("evaluator", self.name, self.version, self.options)
        if self.scope not in ("item", "set"):
            raise ValueError(f"evaluator {self.name!r}: scope must be 'item' or 'set', got {self.scope!r}")
        if not self.media_types:
            raise ValueError(f"evaluator {self.name!r}: media_types must name what it accepts")
