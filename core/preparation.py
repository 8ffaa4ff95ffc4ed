"""Checking a request against the installed plugins before any work is done."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel

from aigc.core.keys import canonical_json, generation_key
from aigc.core.plugins import PluginRegistry, names
from aigc.core.schemas import MAX_SEED, EvaluatorRef, GenerationRequest
from aigc.core.specs import EvaluatorSpec, GeneratorInput, GeneratorSpec, sample_cost
from aigc.core.validation import (
    FieldProblems,
    M,
    boolean_number_problems,
    invalid,
    storable_problems,
    validate_model,
)


@dataclass(frozen=True)
class GeneratorCall:
    """What a ``generate`` call is given besides its seeds. Requests with the same ``key`` (generator,
    options and input) can share one call: the dynamic batcher and ``Engine.generate_many`` merge them."""

    generator: str
    options: BaseModel
    input: GeneratorInput

    @property
    def key(self) -> str:
        messages = self.input.messages
        return canonical_json(
            {
                "generator": self.generator,
                "options": self.options.model_dump(mode="json"),
                "prompt": self.input.prompt,
                "messages": None if messages is None else [m.model_dump(mode="json") for m in messages],
            }
        )


@dataclass(frozen=True)
class PreparedEvaluator:
    spec: EvaluatorSpec
    options: BaseModel


@dataclass(frozen=True)
class PreparedRequest:
    """A request whose generator, options and evaluators are all known to be valid."""

    request: GenerationRequest
    spec: GeneratorSpec
    options: BaseModel
    seed: int
    evaluators: list[PreparedEvaluator]

    @property
    def options_json(self) -> dict[str, Any]:
        return self.options.model_dump(mode="json")

    @property
    def messages_json(self) -> list[dict[str, str]] | None:
        """The conversation of a chat request as plain JSON (None for a prompt)."""
        messages = self.request.messages
        return None if messages is None else [m.model_dump(mode="json") for m in messages]

    @property
    def generator_input(self) -> GeneratorInput:
        """What the generator is given for each sample: the prompt or the conversation."""
        messages = self.request.messages
        return GeneratorInput(
            prompt=self.request.prompt, messages=None if messages is None else tuple(messages)
        )

    @property
    def call(self) -> GeneratorCall:
        """The generator call that makes this request's samples (with its seeds)."""
        return GeneratorCall(self.spec.name, self.options, self.generator_input)

    @property
    def cost(self) -> int:
        """Work units of the whole request: samples (``n * best_of``) times the options' ``sample_cost``."""
        return len(self.seeds) * sample_cost(self.options)

    @property
    def seeds(self) -> list[int]:
        """One seed per sample: ``n * best_of`` of them, candidates of an output side by side."""
        return [self.seed + i for i in range(self.request.n * self.request.best_of)]

    def sample_key(self, model_sha256: str | None, seed: int) -> str:
        """The generation key of this request's sample with ``seed`` (see ``aigc.core.keys``)."""
        return generation_key(
            generator=self.spec.name,
            version=self.spec.version,
            model_sha256=model_sha256,
            options=self.options_json,
            seed=seed,
            prompt=self.request.prompt,
            messages=self.messages_json,
        )


def validate_options(model: type[M], values: dict[str, Any], prefix: str) -> M:
    """Validate plugin options, reporting every problem at once: unknown names (even if the plugin's
    model would ignore them), a boolean for a number, values that cannot be stored, and the model's
    own limits."""
    known = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
    unknown = [
        {
            "field": f"{prefix}.{name}",
            "value": values[name],
            "message": f"unknown option; allowed: {', '.join(sorted(known)) or 'none'}",
        }
        for name in sorted(set(values) - known)
    ]
    problems = unknown + boolean_number_problems(model, values, prefix) + storable_problems(values, prefix)
    return validate_model(model, values, prefix, problems)


def _check_prompt(spec: GeneratorSpec, request: GenerationRequest) -> None:
    prompt, messages = request.prompt, request.messages
    if messages is not None:
        if not spec.chat:
            raise invalid("messages", len(messages), f"generator {spec.name!r} takes a prompt, not messages")
        return
    if spec.prompt == "none" and prompt is not None:
        raise invalid("prompt", prompt, f"generator {spec.name!r} takes no prompt")
    if spec.prompt == "required" and not (prompt and prompt.strip()):
        wanted = "a non-empty prompt or messages" if spec.chat else "a non-empty prompt"
        raise invalid("prompt", prompt, f"generator {spec.name!r} needs {wanted}")


def _prepare_evaluators(
    registry: PluginRegistry, request: GenerationRequest, spec: GeneratorSpec, problems: FieldProblems
) -> list[PreparedEvaluator]:
    prepared = [
        problems.check(partial(_prepare_evaluator, registry, spec, f"evaluators[{i}]", ref))
        for i, ref in enumerate(request.evaluators)
    ]
    return [evaluator for evaluator in prepared if evaluator is not None]


def _prepare_evaluator(
    registry: PluginRegistry, spec: GeneratorSpec, field: str, ref: EvaluatorRef
) -> PreparedEvaluator:
    evaluator = registry.evaluators.get(ref.name)
    if evaluator is None:
        raise invalid(
            f"{field}.name",
            ref.name,
            f"unknown evaluator; installed: {names(registry.evaluators.values())}",
        )
    if not set(evaluator.media_types) & set(spec.media_types):
        raise invalid(
            f"{field}.name",
            ref.name,
            f"evaluator accepts {', '.join(evaluator.media_types)}, but {spec.name!r} "
            f"produces {', '.join(spec.media_types)}",
        )
    return PreparedEvaluator(evaluator, validate_options(evaluator.options, ref.options, f"{field}.options"))


def prepare(registry: PluginRegistry, request: GenerationRequest | dict[str, Any]) -> PreparedRequest:
    """Validate ``request`` completely; raises ``InvalidRequestError`` naming every bad field."""
    if not isinstance(request, GenerationRequest):
        request = validate_model(GenerationRequest, request)
    spec = registry.generators.get(request.generator)
    if spec is None:
        raise invalid(
            "generator",
            request.generator,
            f"unknown generator; installed: {names(registry.generators.values())}",
        )
    problems = FieldProblems()
    problems.check(partial(_check_prompt, spec, request))
    options = problems.check(partial(validate_options, spec.options, request.options, "options"))
    evaluators = _prepare_evaluators(registry, request, spec, problems)
    problems.raise_any()
    assert options is not None  # validated without problems
    seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED)
    return PreparedRequest(request, spec, options, seed, evaluators)
