"""The image-gan plugin, end to end with its committed model files: real runtime, no mocks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import GeneratorInput, GeneratorSpec
from aigc.plugins import image_gan
from aigc.plugins.image_gan.options import GanOptions
from tests.plugins.image_plugin_checks import (
    check_batch_equals_one_by_one,
    check_one_labelled_png_per_input,
    check_same_seed_gives_identical_pngs,
    classifier_accuracy,
    imports_torch,
    registered_generator,
)

# Measured on the committed model at the default truncation (2.0): 200/200 of this test's
# digits and 99.8% of 3,000 in the manifest. With p = 0.998, 10 or more failures out of 200
# has probability below 1e-9; chance is 0.1.
MIN_RECOGNITION = 0.95


@pytest.fixture(scope="module")
def spec() -> GeneratorSpec:
    return registered_generator(image_gan)


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    return ModelRuntime(device="cpu")


@pytest.fixture(scope="module")
def generator(spec: GeneratorSpec, runtime: ModelRuntime):
    return spec.factory(PluginContext(runtime))


def generate(generator, seeds: list[int], **options) -> list[bytes]:
    outputs = generator.generate([GeneratorInput()] * len(seeds), GanOptions(**options), seeds)
    return [out[0].data for out in outputs]


def test_registers_an_image_generator_with_its_model_folder(spec: GeneratorSpec) -> None:
    assert (spec.name, spec.modality, spec.version) == ("image-gan", "image", "1.0.0")
    assert spec.media_types == ("image/png",)
    assert spec.options is GanOptions
    assert (spec.model_dir / "manifest.json").is_file()


def test_generator_reports_the_model_sha256_from_the_manifest(generator, spec: GeneratorSpec) -> None:
    from aigc.core.manifest import load_manifest

    assert generator.model_sha256 == load_manifest(spec.model_dir).files["generator.onnx"].sha256


def test_onnx_matches_the_torch_checkpoint_at_batch_1_16_64(
    spec: GeneratorSpec, runtime: ModelRuntime
) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.image_gan.export import example_feeds, load_generator

    model, _ = load_generator(spec.model_dir)
    session = runtime.session(spec.model_dir, "generator.onnx")
    for batch in (1, 16, 64):
        feeds = example_feeds(batch, model.config.z_dim, seed=batch)
        with torch.no_grad():
            expected = model(torch.from_numpy(feeds["z"]), torch.from_numpy(feeds["label"])).numpy()
        got = session.run(feeds)["image"]
        assert got.shape == (batch, 1, 8, 8)
        assert np.max(np.abs(got - expected)) < 1e-4, f"batch {batch}"


def test_one_png_per_input_with_label_and_size_metadata(generator) -> None:
    check_one_labelled_png_per_input(generator, GanOptions(label=4))


def test_same_seed_and_options_give_byte_identical_pngs(spec: GeneratorSpec) -> None:
    check_same_seed_gives_identical_pngs(spec, generate, label=3, truncation=1.5)


def test_a_batch_equals_the_same_samples_one_by_one(generator) -> None:
    check_batch_equals_one_by_one(generator, generate, list(range(100, 164)))


def test_batch_position_does_not_change_a_sample(generator) -> None:
    alone = generate(generator, [5], label=8)[0]
    assert generate(generator, [1, 2, 5, 3], label=8)[2] == alone


def test_random_label_comes_from_the_seed(generator) -> None:
    outputs = generator.generate([GeneratorInput()] * 40, GanOptions(), list(range(40)))
    labels = [out[0].metadata["label"] for out in outputs]
    assert len(set(labels)) >= 5
    again = generator.generate([GeneratorInput()] * 40, GanOptions(), list(range(40)))
    assert labels == [out[0].metadata["label"] for out in again]


def test_label_option_is_respected(generator) -> None:
    for label in (0, 9):
        outputs = generator.generate([GeneratorInput()] * 5, GanOptions(label=label), list(range(5)))
        assert {out[0].metadata["label"] for out in outputs} == {label}


@pytest.mark.parametrize("scale", [1, 3, 8, 32])
def test_scale_sets_the_png_size(generator, scale: int) -> None:
    (artifact,) = generator.generate([GeneratorInput()], GanOptions(scale=scale), [0])[0]
    with Image.open(io.BytesIO(artifact.data)) as image:
        assert image.size == (8 * scale, 8 * scale)
    assert (artifact.metadata["width"], artifact.metadata["height"]) == (8 * scale, 8 * scale)


def test_scale_is_a_pure_nearest_neighbour_enlargement(generator) -> None:
    small = generate(generator, [21], label=2, scale=1)[0]
    large = generate(generator, [21], label=2, scale=8)[0]
    pixels = np.asarray(Image.open(io.BytesIO(small)))
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(large))), np.kron(pixels, np.ones((8, 8), np.uint8))
    )


def test_truncation_bounds_every_latent_component(generator) -> None:
    for truncation in (0.1, 0.5, 2.0):
        z, _ = generator.latents(GanOptions(truncation=truncation), list(range(50)))
        assert np.abs(z).max() <= truncation


def test_truncation_keeps_latent_components_that_are_already_inside(generator) -> None:
    wide, _ = generator.latents(GanOptions(truncation=4.0), [7])
    narrow, _ = generator.latents(GanOptions(truncation=1.0), [7])
    inside = np.abs(wide) <= 1.0
    assert inside.any()
    assert np.array_equal(wide[inside], narrow[inside])


def test_lower_truncation_gives_less_varied_digits(generator) -> None:
    def spread(truncation: float) -> float:
        z, labels = generator.latents(GanOptions(label=5, truncation=truncation), list(range(64)))
        images = generator.render(z, labels).reshape(64, -1)
        return float(np.mean(np.linalg.norm(images[:, None] - images[None], axis=-1)))

    assert spread(0.3) < spread(1.0) < spread(4.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("label", 10), ("label", -1), ("truncation", 0.0), ("truncation", 4.5), ("scale", 0), ("scale", 33)],
)
def test_out_of_range_options_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        GanOptions(**{field: value})
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


def test_unknown_options_are_rejected() -> None:
    with pytest.raises(ValidationError, match="steps"):
        GanOptions(steps=10)


def test_generated_digits_are_recognised_by_the_classifier(generator, runtime: ModelRuntime) -> None:
    accuracy = classifier_accuracy(
        generator, runtime, lambda label: GanOptions(label=label), "image-gan", per_label=20
    )
    assert accuracy >= MIN_RECOGNITION


def test_importing_the_generator_does_not_import_torch() -> None:
    assert not imports_torch("aigc.plugins.image_gan.generator", "aigc.plugins.image_gan")
