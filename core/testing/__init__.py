"""aigc's test kit for plugin authors, importable as ``aigc.testing``.

- a pytest plugin (registered with the ``pytest11`` entry point, so installing aigc is enough) with
  the fixtures ``aigc_settings``, ``aigc_runtime``, ``aigc_registry`` and ``aigc_engine``;
- conformance suites any generator or evaluator runs with one line::

      from aigc.testing import generator_conformance

      TestMyGenerator = generator_conformance("my-generator")

- the checks themselves (``GENERATOR_CHECKS``, ``EVALUATOR_CHECKS``) and their harnesses, for
  parametrised tests over many plugins.
"""

from .checks import EVALUATOR_CHECKS, GENERATOR_CHECKS
from .conformance import evaluator_conformance, generator_conformance
from .harness import EvaluatorHarness, GeneratorHarness
from .media import check_artifact
from .options import option_problems

__all__ = [
    "EVALUATOR_CHECKS",
    "GENERATOR_CHECKS",
    "EvaluatorHarness",
    "GeneratorHarness",
    "check_artifact",
    "evaluator_conformance",
    "generator_conformance",
    "option_problems",
]
