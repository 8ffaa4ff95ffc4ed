"""The image-class-match evaluator, end to end with its committed model files: real runtime, no mocks."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from aigc.core.images import decode_png, encode_png
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem, EvaluatorSpec
from aigc.plugins import image_class_match
from aigc.plugins.image_class_match.options import ClassMatchOptions
from tests.plugins.image_plugin_checks import imports_torch


@pytest.fixture(scope="module")
def spec() -> EvaluatorSpec:
    specs: list[EvaluatorSpec] = []
    image_class_match.aigc_register_evaluators(register=specs.append)
    (registered,) = specs
    return registered


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    return ModelRuntime(device="cpu")


@pytest.fixture(scope="module")
def evaluator(spec: EvaluatorSpec, runtime: ModelRuntime):
    return spec.factory(PluginContext(runtime))


@pytest.fixture(scope="module")
def held_out():
    pytest.importorskip("sklearn")
    from aigc.plugins.lib.datasets.digits import load_digits_split

    split = load_digits_split()
    return split.held_out_images, split.held_out_labels


def png_item(
    image: np.ndarray, label: int | None = None, option_label: object = None, scale: int = 8
) -> EvalItem:
    metadata = {} if label is None else {"label": label}
    options = {} if option_label is None else {"label": option_label}
    return EvalItem(
        ArtifactData("image/png", data=encode_png(image, scale=scale), metadata=metadata), None, "t", options
    )


def test_registers_a_png_evaluator_with_its_model_folder(spec: EvaluatorSpec) -> None:
    assert (spec.name, spec.version, spec.media_types) == ("image-class-match", "1.0.0", ("image/png",))
    assert spec.options is ClassMatchOptions
    assert (spec.model_dir / "manifest.json").is_file()


def test_onnx_matches_the_torch_checkpoint_at_batch_1_16_64(
    spec: EvaluatorSpec, runtime: ModelRuntime
) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.image_class_match.export import example_images, load_classifier

    model, _ = load_classifier(spec.model_dir)
    session = runtime.session(spec.model_dir, "classifier.onnx")
    for batch in (1, 16, 64):
        feeds = example_images(batch, seed=batch)
        with torch.no_grad():
            logits, features = (t.numpy() for t in model(torch.from_numpy(feeds["image"])))
        got = session.run(feeds)
        assert got["logits"].shape == (batch, 10)
        assert got["features"].shape == (batch, features.shape[1])
        assert np.max(np.abs(got["logits"] - logits)) < 1e-4, f"batch {batch}"
        assert np.max(np.abs(got["features"] - features)) < 1e-4, f"batch {batch}"


def test_upscaled_png_decodes_back_to_the_8x8_image_up_to_quantisation() -> None:
    image = np.random.default_rng(0).random((8, 8), dtype=np.float32)
    for scale in (1, 5, 8):
        decoded = decode_png(encode_png(image, scale=scale), shape=(8, 8))
        assert decoded.shape == (8, 8)
        assert np.max(np.abs(decoded - image)) <= 0.5 / 255 + 1e-6


def test_held_out_digits_are_classified_correctly(evaluator, held_out) -> None:
    images, labels = held_out
    items = [png_item(image, int(label)) for image, label in zip(images, labels, strict=True)]
    results = evaluator.evaluate(items, ClassMatchOptions())
    assert len(results) == len(items)
    accuracy = np.mean([result.passed for (result,) in results])
    assert accuracy >= 0.95


def test_result_gives_probability_of_the_requested_label(evaluator, held_out) -> None:
    images, labels = held_out
    image, label = images[0], int(labels[0])
    wrong = (label + 1) % 10
    (right_result,), (wrong_result,) = evaluator.evaluate(
        [png_item(image, label), png_item(image, wrong)], ClassMatchOptions()
    )
    assert right_result.metric == "class_match"
    assert right_result.passed is True and right_result.score > 0.5
    assert right_result.value == right_result.score
    assert right_result.details["predicted"] == label
    assert (
        right_result.reason.startswith(f"predicted {label} (p=")
        and f"requested {label}" in right_result.reason
    )
    assert len(right_result.details["probabilities"]) == 10
    assert wrong_result.passed is False
    assert wrong_result.score == pytest.approx(right_result.details["probabilities"][wrong], abs=1e-6)


def test_label_from_metadata_wins_over_the_request_option(evaluator, held_out) -> None:
    images, labels = held_out
    label = int(labels[0])
    other = (label + 1) % 10
    ((from_metadata,), (from_option,)) = evaluator.evaluate(
        [png_item(images[0], label, option_label=other), png_item(images[0], None, option_label=label)],
        ClassMatchOptions(),
    )
    assert from_metadata.details["requested"] == label and from_metadata.passed is True
    assert from_option.details["requested"] == label and from_option.passed is True


def test_without_a_label_passed_is_none_and_score_is_the_top_probability(evaluator, held_out) -> None:
    images, _ = held_out
    ((result,),) = evaluator.evaluate([png_item(images[0])], ClassMatchOptions())
    assert result.passed is None
    assert result.score == pytest.approx(max(result.details["probabilities"]), abs=1e-6)
    assert "no label was requested" in result.reason


def test_threshold_can_fail_a_correct_but_unsure_prediction(evaluator) -> None:
    blank = np.zeros((8, 8), dtype=np.float32)
    ((result,),) = evaluator.evaluate([png_item(blank, None)], ClassMatchOptions())
    predicted = result.details["predicted"]
    ((lenient,),) = evaluator.evaluate([png_item(blank, predicted)], ClassMatchOptions(threshold=0.0))
    ((strict,),) = evaluator.evaluate([png_item(blank, predicted)], ClassMatchOptions(threshold=1.0))
    assert lenient.passed is True
    assert strict.passed is (lenient.score >= 1.0)


def test_a_batch_gives_the_same_results_as_one_by_one(evaluator, held_out) -> None:
    images, labels = held_out
    items = [png_item(image, int(label)) for image, label in zip(images[:16], labels[:16], strict=True)]
    batched = evaluator.evaluate(items, ClassMatchOptions())
    single = [evaluator.evaluate([item], ClassMatchOptions())[0] for item in items]
    for (a,), (b,) in zip(batched, single, strict=True):
        assert a.passed == b.passed and a.details["predicted"] == b.details["predicted"]
        assert a.score == pytest.approx(b.score, abs=1e-5)


def test_colour_pngs_of_other_sizes_are_accepted(evaluator, held_out) -> None:
    import io

    from PIL import Image

    images, labels = held_out
    gray = np.kron(np.rint(images[0] * 255).astype(np.uint8), np.ones((4, 4), np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(gray).convert("RGB").save(buffer, format="PNG")
    item = EvalItem(
        ArtifactData("image/png", data=buffer.getvalue(), metadata={"label": int(labels[0])}), None, "t", {}
    )
    ((result,),) = evaluator.evaluate([item], ClassMatchOptions())
    assert result.passed is True


def test_undecodable_images_and_bad_labels_give_error_results_not_exceptions(evaluator, held_out) -> None:
    images, labels = held_out
    broken = EvalItem(ArtifactData("image/png", data=b"not a png", metadata={"label": 1}), None, "t", {})
    items = [broken, png_item(images[0], 12), png_item(images[0], int(labels[0]))]
    (broken_result,), (bad_label,), (good,) = evaluator.evaluate(items, ClassMatchOptions())
    assert broken_result.error and broken_result.passed is None
    assert bad_label.error and "0-9" in bad_label.error
    assert good.error is None and good.passed is True


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_threshold_outside_0_1_is_rejected_naming_the_field(value: float) -> None:
    with pytest.raises(ValidationError) as raised:
        ClassMatchOptions(threshold=value)
    assert [error["loc"] for error in raised.value.errors()] == [("threshold",)]


def test_importing_the_evaluator_does_not_import_torch() -> None:
    assert not imports_torch("aigc.plugins.image_class_match.evaluator")
