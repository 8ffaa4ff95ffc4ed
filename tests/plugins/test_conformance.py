"""Every installed generator and evaluator passes aigc's conformance suite (``aigc.testing``).

Parametrised over the registered plugins, so a plugin added later, or a third-party package
installed into the test environment (docs/examples/aigc-markov in CI), is covered automatically.
``onnx-causal-lm`` runs on the tiny GPT-2 fixture and ``onnx-diffusion-pipeline`` on the tiny
Stable Diffusion one, registered in a temporary models file;
``speech-piper`` and ``smollm2`` on their models installed into the test cache (skipped if they
cannot be).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.registered_models import register_model
from aigc.testing import EVALUATOR_CHECKS, GENERATOR_CHECKS, EvaluatorHarness, GeneratorHarness

FIXTURES = Path(__file__).parents[1] / "fixtures"
_INSTALLED = PluginRegistry.from_entry_points()
# The suite evaluates sets of a few samples: set-level metrics that refuse small sets by default
# (their too-few-samples error is tested with the plugin) are told to accept them.
SMALL_SET_OPTIONS = {"image-fid": {"min_samples": 2}, "image-kid": {"min_samples": 2}}


def _ids(check: Callable[..., None]) -> str:
    return check.__name__.removeprefix("check_")


@pytest.fixture(autouse=True)
def registered_gpt2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A models file with the GPT-2 and Stable Diffusion fixtures, in place before the plugins
    register (examples use them)."""
    models_file = tmp_path / "models.json"
    register_model(models_file, FIXTURES / "causal_lm" / "gpt2", "tiny-gpt2")
    register_model(models_file, FIXTURES / "sd_tiny", "tiny-sd")
    monkeypatch.setenv("AIGC_MODELS", str(models_file))


# Generators whose model is installed rather than shipped: the fixture that provides it.
MODEL_FIXTURES = {
    "speech-piper": "voice_home",
    "smollm2": "smollm2_home",
    "image-text-diffusion": "relevance_home",
}


@pytest.fixture
def installed_model(request: pytest.FixtureRequest) -> None:
    """The model of the generator under test, installed before the engine reads its settings."""
    name = request.node.callspec.params["name"]
    if name in MODEL_FIXTURES:
        request.getfixturevalue(MODEL_FIXTURES[name])


@pytest.mark.parametrize("check", GENERATOR_CHECKS, ids=_ids)
@pytest.mark.parametrize("name", sorted(_INSTALLED.generators))
def test_generator_conforms(
    name: str, check: Callable[[GeneratorHarness], Any], installed_model: None, aigc_engine: Engine
) -> None:
    check(GeneratorHarness(aigc_engine, name))


@pytest.mark.parametrize("check", EVALUATOR_CHECKS, ids=_ids)
@pytest.mark.parametrize("name", sorted(_INSTALLED.evaluators))
def test_evaluator_conforms(name: str, check: Callable[[EvaluatorHarness], Any], aigc_engine: Engine) -> None:
    check(EvaluatorHarness(aigc_engine, name, SMALL_SET_OPTIONS.get(name, {})))
