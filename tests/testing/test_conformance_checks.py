"""The conformance checks pass on well-behaved plugins and fail, saying why, on each kind of misbehaviour."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import Field

from aigc.core import (
    ArtifactData,
    EvalItem,
    EvalResult,
    EvaluatorSpec,
    GeneratorInput,
    GeneratorSpec,
    Options,
    hookimpl,
)
from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.testing import EVALUATOR_CHECKS, GENERATOR_CHECKS, EvaluatorHarness, GeneratorHarness, checks
from tests.core.plugin_doubles import DoublesPlugin

GAN_DIR = Path(__file__).parents[2] / "plugins" / "image_gan"


class Unbounded(Options):
    words: int = Field(3, description="no limits")
    note: str = Field("", max_length=10)


class Words(Options):
    words: int = Field(3, ge=1, le=10, description="words per sample")


def _text(text: str) -> list[ArtifactData]:
    return [ArtifactData("text/plain", text=text)]


class Unseeded:
    model_sha256 = None

    def generate(self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]) -> Any:
        return [_text(str(np.random.default_rng().integers(1 << 30))) for _ in seeds]


class BatchDependent:
    model_sha256 = None

    def generate(self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]) -> Any:
        rng = np.random.default_rng(seeds[0])  # one generator for the whole batch
        return [_text(str(rng.integers(1 << 30))) for _ in seeds]


class NotAPng:
    model_sha256 = None

    def generate(self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]) -> Any:
        return [[ArtifactData("image/png", data=b"\x89PNG but not really")] for _ in seeds]


class OneResultShort:
    def evaluate(self, items: Sequence[EvalItem], options: Any) -> list[list[EvalResult]]:
        return [[EvalResult(metric="m", score=0.5)] for _ in items][1:]


def _generator(name: str, make: Callable[[], Any], **fields: Any) -> GeneratorSpec:
    values: dict[str, Any] = {"options": Words, "media_types": ("text/plain",), "prompt": "optional"} | fields
    return GeneratorSpec(name=name, modality="text", version="1", factory=lambda context: make(), **values)


class MisbehavingPlugin:
    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir

    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        from tests.core.plugin_doubles import EchoGenerator

        register(_generator("unbounded", EchoGenerator, options=Unbounded))
        register(_generator("unseeded", Unseeded))
        register(_generator("batch-dependent", BatchDependent))
        register(_generator("not-a-png", NotAPng, media_types=("image/png",)))
        register(_generator("tampered-model", EchoGenerator, model_dir=self.model_dir))

    @hookimpl
    def aigc_register_evaluators(self, register: Callable[[EvaluatorSpec], None]) -> None:
        register(
            EvaluatorSpec(
                name="one-short", version="1", options=Options, factory=lambda context: OneResultShort(),
                media_types=("text/plain",),
            )
        )  # fmt: skip


@pytest.fixture
def engine(tmp_path: Path, aigc_settings: Settings, aigc_runtime: ModelRuntime) -> Iterator[Engine]:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    for name in ("generator.onnx", "manifest.json"):
        shutil.copy(GAN_DIR / name, model_dir / name)
    with (model_dir / "generator.onnx").open("ab") as handle:
        handle.write(b"\0")
    registry = PluginRegistry()
    registry.add(DoublesPlugin(), "doubles")
    registry.add(MisbehavingPlugin(model_dir), "misbehaving")
    assert not registry.errors
    with Engine(aigc_settings, registry=registry, runtime=aigc_runtime) as engine:
        yield engine


@pytest.mark.parametrize("check", GENERATOR_CHECKS, ids=lambda c: c.__name__)
def test_a_well_behaved_generator_passes_every_check(engine: Engine, check: Callable[..., None]) -> None:
    check(GeneratorHarness(engine, "echo", {"prompt": "hi", "options": {"words": 4}}))


@pytest.mark.parametrize("name", ["length", "distinct"])
@pytest.mark.parametrize("check", EVALUATOR_CHECKS, ids=lambda c: c.__name__)
def test_item_and_set_evaluators_pass_every_check(
    engine: Engine, check: Callable[..., None], name: str
) -> None:
    check(EvaluatorHarness(engine, name, generator="echo"))


@pytest.mark.parametrize(
    ("name", "check", "says"),
    [
        ("unbounded", checks.check_options_documented, "words: has no lower limit"),
        ("unbounded", checks.check_options_documented, "note: has no description"),
        ("unseeded", checks.check_seeded_output_is_deterministic, "same seeds, different output"),
        ("batch-dependent", checks.check_batch_equals_one_by_one, "batched output differs"),
        ("tampered-model", checks.check_manifest_matches_files, "generator.onnx has sha256"),
    ],
)
def test_a_misbehaving_generator_fails_its_check(
    engine: Engine, name: str, check: Callable[..., None], says: str
) -> None:
    with pytest.raises(AssertionError, match=says):
        check(GeneratorHarness(engine, name))


def test_an_invalid_png_fails_the_media_check(engine: Engine) -> None:
    with pytest.raises(Exception, match="cannot identify image file"):
        checks.check_artifacts_valid(GeneratorHarness(engine, "not-a-png"))


def test_an_evaluator_returning_too_few_results_fails(engine: Engine) -> None:
    with pytest.raises(AssertionError, match="one list per item expected"):
        checks.check_results_are_well_formed(EvaluatorHarness(engine, "one-short", generator="echo"))


def test_an_evaluator_that_errors_in_a_request_fails(engine: Engine) -> None:
    with pytest.raises(AssertionError, match="evaluator bug"):
        checks.check_evaluation_in_a_request(EvaluatorHarness(engine, "eval-raise", generator="echo"))


def test_a_missing_plugin_is_named_with_what_is_installed(engine: Engine) -> None:
    with pytest.raises(LookupError, match=r"generator 'nope' is not registered \(installed: batch-dependent"):
        checks.check_artifacts_valid(GeneratorHarness(engine, "nope"))
