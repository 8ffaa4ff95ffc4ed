"""One installed generator or evaluator, loaded for testing, with requests and inputs to try it on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.preparation import validate_options
from aigc.core.schemas import GenerationResult
from aigc.core.specs import (
    ArtifactData,
    ChatMessage,
    EvalItem,
    EvaluatorSpec,
    Generator,
    GeneratorInput,
    GeneratorSpec,
)

DEFAULT_PROMPT = "The quick brown fox jumps over the lazy dog."
DEFAULT_SEED = 1234


def _registered(registry: PluginRegistry, kind: str, name: str) -> Any:
    """The spec of generator or evaluator ``name``, or a ``LookupError`` saying what is installed."""
    specs = registry.generators if kind == "generator" else registry.evaluators
    spec = specs.get(name)
    if spec is not None:
        return spec
    failed = "; ".join(f"{e.plugin} ({e.stage}): {e.message}" for e in registry.errors)
    raise LookupError(
        f"{kind} {name!r} is not registered (installed: {', '.join(sorted(specs)) or 'none'}). Is its "
        f"package installed (pip install -e .) and its entry point in the 'aigc' group?"
        + (f" Plugins that failed to load: {failed}" if failed else "")
    )


@dataclass
class GeneratorHarness:
    """A registered generator, its example request and an engine with a temporary store."""

    engine: Engine
    name: str
    request: Mapping[str, Any] | None = None
    _generator: Generator | None = field(default=None, init=False)

    @property
    def spec(self) -> GeneratorSpec:
        spec: GeneratorSpec = _registered(self.engine.registry, "generator", self.name)
        return spec

    def example(self, **overrides: Any) -> dict[str, Any]:
        """A valid request: the given one, else the spec's first example, else defaults (and a prompt
        when the generator needs one). A ``prompt`` override replaces an example's ``messages``."""
        spec = self.spec
        base = dict(self.request or (spec.examples[0] if spec.examples else {}))
        if "prompt" in overrides:
            base.pop("messages", None)
        if spec.prompt == "required" and not base.get("prompt") and not base.get("messages"):
            base["prompt"] = DEFAULT_PROMPT
        return {"n": 1, "seed": DEFAULT_SEED, **base, "generator": self.name, **overrides}

    @property
    def options(self) -> Any:
        return validate_options(self.spec.options, dict(self.example().get("options", {})), "options")

    @property
    def generator(self) -> Generator:
        """The loaded generator (built once through the engine)."""
        if self._generator is None:
            self._generator = self.engine.generator(self.name)
        return self._generator

    def run(self, seeds: Sequence[int], prompt: str | None = None) -> list[list[ArtifactData]]:
        """Call ``generate`` directly, one input per seed: ``prompt``, else the example's prompt or
        conversation."""
        example = self.example()
        if prompt is None and example.get("messages"):
            item = GeneratorInput(messages=tuple(ChatMessage.model_validate(m) for m in example["messages"]))
        else:
            item = GeneratorInput(prompt=prompt if prompt is not None else example.get("prompt"))
        return self.generator.generate([item] * len(seeds), self.options, list(seeds))

    def generate(self, **overrides: Any) -> GenerationResult:
        """A stored request through the engine."""
        return self.engine.generate(self.example(**overrides))

    def refusal(self, **overrides: Any) -> InvalidRequestError | None:
        """The ``InvalidRequestError`` a request raises, or None when it runs."""
        try:
            self.generate(**overrides)
        except InvalidRequestError as error:
            return error
        return None


@dataclass
class EvaluatorHarness:
    """A registered evaluator and artifacts to evaluate: made by an installed generator whose output
    it accepts (``generator``, else the first one found), or given as ``items``."""

    engine: Engine
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    generator: str | None = None
    items: Sequence[EvalItem] | None = None

    @property
    def spec(self) -> EvaluatorSpec:
        spec: EvaluatorSpec = _registered(self.engine.registry, "evaluator", self.name)
        return spec

    @property
    def validated_options(self) -> Any:
        return validate_options(self.spec.options, dict(self.options), "options")

    def source(self) -> GeneratorHarness | None:
        """The generator that makes artifacts for this evaluator, if one is installed."""
        accepted = set(self.spec.media_types)
        candidates = [self.generator] if self.generator else sorted(self.engine.registry.generators)
        for name in candidates:
            spec = self.engine.registry.generators.get(name or "")
            if spec is None or not accepted & set(spec.media_types):
                continue
            harness = GeneratorHarness(self.engine, spec.name)
            try:
                harness.options  # noqa: B018  # a generator needing configuration (no example) cannot serve
            except InvalidRequestError:
                continue
            return harness
        return None

    def sample_items(self, count: int = 3) -> list[EvalItem]:
        """``count`` items this evaluator accepts."""
        if self.items is not None:
            return list(self.items)[:count] or list(self.items)
        source = self.source()
        if source is None:
            raise LookupError(
                f"no installed generator produces {', '.join(self.spec.media_types)} for evaluator "
                f"{self.name!r}: pass items= to evaluator_conformance"
            )
        request = source.example()
        outputs = source.run([DEFAULT_SEED + i for i in range(count)])
        return [
            EvalItem(artifact, request.get("prompt"), source.name, source.options.model_dump(mode="json"))
            for sample in outputs
            for artifact in sample
            if artifact.media_type in self.spec.media_types
        ]

    def loaded(self) -> Any:
        """The loaded evaluator (built once through the engine)."""
        return self.engine.evaluator(self.spec)
