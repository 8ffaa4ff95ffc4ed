"""The image-memorization evaluator with its committed index of image-text-diffusion's training emoji."""

from __future__ import annotations

import numpy as np
import pytest

from aigc.core.sdk import PluginContext, encode_png
from aigc.core.specs import ArtifactData, EvalItem, EvaluatorSpec
from aigc.plugins import image_memorization
from aigc.plugins.image_memorization.index import FEATURE_SIZE
from aigc.plugins.image_memorization.options import ImageMemorizationOptions


@pytest.fixture(scope="module")
def spec() -> EvaluatorSpec:
    specs: list[EvaluatorSpec] = []
    image_memorization.aigc_register_evaluators(register=specs.append)
    (spec,) = specs
    return spec


@pytest.fixture(scope="module")
def evaluator(spec: EvaluatorSpec):  # type: ignore[no-untyped-def]
    return spec.factory(PluginContext())


def item(data: bytes) -> EvalItem:
    return EvalItem(ArtifactData("image/png", data=data), "a prompt", "image-text-diffusion", {})


def training_png(evaluator, row: int, scale: int = 4) -> bytes:  # type: ignore[no-untyped-def]
    """A training image of the index as a PNG (16x16 upscaled: reduces back to the same pixels)."""
    return encode_png(evaluator.index.pixels[row], scale=scale)


def test_registers_a_png_evaluator_with_its_index(spec: EvaluatorSpec) -> None:
    assert (spec.name, spec.media_types) == ("image-memorization", ("image/png",))
    assert (spec.model_dir / "manifest.json").is_file() and (spec.model_dir / "index.npz").is_file()


def test_a_training_image_is_its_own_nearest_and_flagged_as_a_copy(evaluator) -> None:  # type: ignore[no-untyped-def]
    rows = [0, 1234, len(evaluator.index.pixels) - 1]
    results = evaluator.evaluate(
        [item(training_png(evaluator, row)) for row in rows], ImageMemorizationOptions()
    )
    for row, [result] in zip(rows, results, strict=True):
        assert result.details["row"] == row
        assert result.details["caption"] == str(evaluator.index.captions[row])
        assert result.details["file"].startswith("img/google/64/")
        assert result.value < 0.01 and result.passed is False


def test_an_image_unlike_any_emoji_passes_with_a_large_distance(evaluator) -> None:  # type: ignore[no-untyped-def]
    noise = np.random.default_rng(0).uniform(0, 1, (FEATURE_SIZE, FEATURE_SIZE, 3))
    [[result]] = evaluator.evaluate([item(encode_png(noise, scale=2))], ImageMemorizationOptions())
    assert result.passed is True and result.value > 0.2
    assert "nearest training image" in result.reason


def test_the_limit_decides_what_counts_as_a_copy(evaluator) -> None:  # type: ignore[no-untyped-def]
    shifted = np.roll(evaluator.index.pixels[42], 1, axis=1)
    [[result]] = evaluator.evaluate([item(encode_png(shifted))], ImageMemorizationOptions())
    strict, lenient = (ImageMemorizationOptions(max_copy_distance=d) for d in (0.0, 1.0))
    assert evaluator.evaluate([item(encode_png(shifted))], strict)[0][0].passed is True
    assert evaluator.evaluate([item(encode_png(shifted))], lenient)[0][0].passed is False
    assert 0 < result.value < 1


def test_an_unreadable_png_gives_an_error_result_and_the_others_still_score(evaluator) -> None:  # type: ignore[no-untyped-def]
    results = evaluator.evaluate(
        [item(b"not a png"), item(training_png(evaluator, 5))], ImageMemorizationOptions()
    )
    assert results[0][0].error and "PNG" in results[0][0].error
    assert results[1][0].details["row"] == 5
