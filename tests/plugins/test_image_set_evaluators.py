"""``image-fid``, ``image-kid`` and ``image-diversity`` on real digits, collapsed sets and tiny sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from aigc.core.engine import Engine
from aigc.core.errors import ModelIntegrityError
from aigc.core.images import encode_png
from aigc.core.runtime import ModelRuntime
from aigc.core.schemas import EvalResult
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem, EvaluatorSpec, SetEvaluator
from aigc.plugins import image_metrics
from aigc.plugins.image_metrics.evaluators import stratified_halves
from aigc.plugins.image_metrics.options import DiversityOptions, FidOptions, KidOptions
from aigc.plugins.image_metrics.reference import COUNTS_FILE, MODEL_DIR, load_reference


@pytest.fixture(scope="module")
def evaluators() -> dict[str, SetEvaluator]:
    specs: list[EvaluatorSpec] = []
    image_metrics.aigc_register_evaluators(register=specs.append)
    runtime = ModelRuntime(device="cpu")
    built = {spec.name: spec.factory(PluginContext(runtime)) for spec in specs}
    assert all(isinstance(e, SetEvaluator) for e in built.values())
    return built  # type: ignore[return-value]


def items_of(images: np.ndarray, label: int | None = None) -> list[EvalItem]:
    """PNG items as the image generators emit them (8x enlarged, label in the metadata)."""
    options = {} if label is None else {"label": label}
    return [
        EvalItem(ArtifactData("image/png", data=encode_png(image, scale=8)), None, "test", options)
        for image in images
    ]


def only(results: list[EvalResult], metric: str) -> EvalResult:
    (result,) = [r for r in results if r.metric == metric]
    return result


def test_all_three_register_as_set_scope_evaluators_of_pngs() -> None:
    specs: list[EvaluatorSpec] = []
    image_metrics.aigc_register_evaluators(register=specs.append)
    assert {s.name: s.scope for s in specs} == {
        "image-fid": "set",
        "image-kid": "set",
        "image-diversity": "set",
    }
    assert all(s.media_types == ("image/png",) for s in specs)


def test_the_reference_file_is_checked_against_its_manifest(tmp_path: Path) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "copy", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    assert len(load_reference(tmp_path / "copy").labels) == 360
    counts = tmp_path / "copy" / COUNTS_FILE
    counts.write_bytes(counts.read_bytes()[:-1] + b"\x07")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_reference(tmp_path / "copy")


def test_real_digits_score_like_the_real_vs_real_line(evaluators: dict[str, SetEvaluator]) -> None:
    reference = load_reference()
    _, half_b = stratified_halves(reference.labels)
    real_b = items_of(reference.images[half_b])
    fid = only(evaluators["image-fid"].evaluate_set(real_b, FidOptions(reference="all")), "fid")
    assert fid.value is not None and fid.error is None
    # The set is half B itself, as PNGs: only 8-bit quantisation separates it from the line.
    assert fid.value == pytest.approx(fid.details["real_vs_real"], rel=0.02)
    kid = only(evaluators["image-kid"].evaluate_set(real_b, KidOptions(reference="all")), "kid")
    assert kid.value is not None and abs(kid.value) < 3 * kid.details["std"] + 0.01


def test_a_collapsed_set_is_far_from_real_digits_and_covers_one_class(
    evaluators: dict[str, SetEvaluator],
) -> None:
    reference = load_reference()
    one_digit = reference.images[np.flatnonzero(reference.labels == 7)[0]]
    collapsed = items_of(np.repeat(one_digit[None], 40, axis=0))
    fid = only(
        evaluators["image-fid"].evaluate_set(collapsed, FidOptions(reference="all", max_fid=20)), "fid"
    )
    assert fid.value is not None and fid.value > 5 * fid.details["real_vs_real"]
    assert fid.passed is False
    kid = only(
        evaluators["image-kid"].evaluate_set(collapsed, KidOptions(reference="all", max_kid=0.1)), "kid"
    )
    assert kid.value is not None and kid.value > 0.5 and kid.passed is False
    results = evaluators["image-diversity"].evaluate_set(collapsed, DiversityOptions(min_coverage=0.5))
    assert only(results, "pairwise_distance").score == pytest.approx(0.0, abs=1e-9)
    coverage = only(results, "class_coverage")
    assert coverage.value == pytest.approx(0.1) and coverage.passed is False


def test_a_varied_unlabelled_real_set_covers_every_class(evaluators: dict[str, SetEvaluator]) -> None:
    reference = load_reference()
    results = evaluators["image-diversity"].evaluate_set(
        items_of(reference.images[:100]), DiversityOptions(min_coverage=0.9)
    )
    assert only(results, "class_coverage").passed is True
    assert only(results, "pairwise_distance").score == pytest.approx(1.0, abs=0.15)


def test_a_labelled_set_is_compared_with_real_digits_of_that_label(
    evaluators: dict[str, SetEvaluator],
) -> None:
    reference = load_reference()
    threes = reference.images[reference.labels == 3]
    matching = only(evaluators["image-fid"].evaluate_set(items_of(threes, label=3), FidOptions()), "fid")
    against_all = only(
        evaluators["image-fid"].evaluate_set(items_of(threes, label=3), FidOptions(reference="all")), "fid"
    )
    assert matching.details["reference_a"] + matching.details["reference_b"] == len(threes)
    assert matching.value is not None and against_all.value is not None
    assert matching.value < against_all.value
    labelled = evaluators["image-diversity"].evaluate_set(items_of(threes, label=3), DiversityOptions())
    assert [r.metric for r in labelled] == ["pairwise_distance"]  # coverage only means something unlabelled


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("image-fid", FidOptions()),
        ("image-kid", KidOptions()),
        ("image-diversity", DiversityOptions(min_samples=5)),
    ],
)
def test_too_few_images_give_an_error_result_naming_the_count_and_minimum(
    evaluators: dict[str, SetEvaluator], name: str, options: FidOptions | KidOptions | DiversityOptions
) -> None:
    reference = load_reference()
    (result,) = evaluators[name].evaluate_set(items_of(reference.images[:4]), options)
    assert result.value is None and result.error is not None
    assert "has 4 samples, at least" in result.error


def test_an_explicit_kid_subset_larger_than_a_set_is_an_error(evaluators: dict[str, SetEvaluator]) -> None:
    reference = load_reference()
    (result,) = evaluators["image-kid"].evaluate_set(
        items_of(reference.images[:30]), KidOptions(subset_size=40)
    )
    assert result.error is not None and "at least 40 are needed" in result.error


def test_the_engine_stores_the_set_results_of_a_request(engine: Engine) -> None:
    result = engine.generate(
        {
            "generator": "image-gan",
            "n": 24,
            "seed": 5,
            "evaluators": [
                "image-fid",
                "image-kid",
                {"name": "image-diversity", "options": {"min_coverage": 0.5}},
            ],
        }
    )
    assert result.status == "completed"
    by_metric = {e.metric: e for e in result.set_evaluations}
    assert set(by_metric) == {"fid", "kid", "pairwise_distance", "class_coverage"}
    assert all(e.error is None and e.value is not None for e in by_metric.values())
    assert by_metric["class_coverage"].passed is True
    stored = engine.store.get_request(result.request_id)
    assert {e.metric for e in stored.set_evaluations} == set(by_metric)
