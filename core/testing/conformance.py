"""Conformance test classes: one line runs every check on a generator or an evaluator.

::

    from aigc.testing import evaluator_conformance, generator_conformance

    TestMyGenerator = generator_conformance("my-generator")
    TestMyEvaluator = evaluator_conformance("my-evaluator", generator="my-generator")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from aigc.core.specs import EvalItem

from .checks import EVALUATOR_CHECKS, GENERATOR_CHECKS
from .harness import EvaluatorHarness, GeneratorHarness

if TYPE_CHECKING:
    from aigc.core.engine import Engine


def _with_checks(cls: type, checks: Sequence[Callable[[Any], None]]) -> type:
    for check in checks:

        def test(self: object, aigc_harness: Any, check: Callable[[Any], None] = check) -> None:
            check(aigc_harness)

        name = "test_" + check.__name__.removeprefix("check_")
        test.__name__, test.__doc__ = name, check.__doc__
        setattr(cls, name, test)
    return cls


def generator_conformance(name: str, request: Mapping[str, Any] | None = None) -> type:
    """A test class checking generator ``name``. ``request`` (prompt, options) is what the checks
    generate with; by default the generator's first example, or no options."""

    class GeneratorConformance:
        @pytest.fixture
        def aigc_harness(self, aigc_engine: Engine) -> GeneratorHarness:
            return GeneratorHarness(aigc_engine, name, request)

    return _with_checks(GeneratorConformance, GENERATOR_CHECKS)


def evaluator_conformance(
    name: str,
    options: Mapping[str, Any] | None = None,
    generator: str | None = None,
    items: Sequence[EvalItem] | None = None,
) -> type:
    """A test class checking evaluator ``name`` with ``options``, on artifacts made by ``generator``
    (default: the first installed generator whose output it accepts) or on the given ``items``."""

    class EvaluatorConformance:
        @pytest.fixture
        def aigc_harness(self, aigc_engine: Engine) -> EvaluatorHarness:
            return EvaluatorHarness(aigc_engine, name, options or {}, generator, items)

    return _with_checks(EvaluatorConformance, EVALUATOR_CHECKS)
