"""Registration hooks built from specs, so a plugin module states its specs and nothing else::

aigc_register_generators = generator_hook(GeneratorSpec(name="blurb", ...))
"""

from __future__ import annotations

from collections.abc import Callable

from aigc.core.hookspecs import hookimpl
from aigc.core.specs import EvaluatorSpec, GeneratorSpec


def generator_hook(*specs: GeneratorSpec) -> Callable[[Callable[[GeneratorSpec], None]], None]:
    """An ``aigc_register_generators`` implementation that registers ``specs``."""

    @hookimpl(specname="aigc_register_generators")
    def register_generators(register: Callable[[GeneratorSpec], None]) -> None:
        for spec in specs:
            register(spec)

    return register_generators


def evaluator_hook(*specs: EvaluatorSpec) -> Callable[[Callable[[EvaluatorSpec], None]], None]:
    """An ``aigc_register_evaluators`` implementation that registers ``specs``."""

    @hookimpl(specname="aigc_register_evaluators")
    def register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
        for spec in specs:
            register(spec)

    return register_evaluators
