"""The image-diffusion plugin, end to end with its committed model files: real runtime, no mocks."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import GeneratorInput, GeneratorSpec
from aigc.plugins import image_diffusion
from aigc.plugins.image_diffusion.options import DiffusionOptions
from aigc.plugins.lib.diffusion.schedule import (
    NUM_TRAIN_TIMESTEPS,
    cosine_alpha_bar,
    ddim_step,
    ddim_timesteps,
)
from tests.plugins.image_plugin_checks import (
    check_batch_equals_one_by_one,
    check_one_labelled_png_per_input,
    check_same_seed_gives_identical_pngs,
    classifier_accuracy,
    imports_torch,
    registered_generator,
)

# Chance is 0.1; the committed model's measured rates are in its manifest (training.class_match).
MIN_RECOGNITION = 0.8
FEW_STEPS = 10  # keeps the tests quick; the default is 25


@pytest.fixture(scope="module")
def spec() -> GeneratorSpec:
    return registered_generator(image_diffusion)


@pytest.fixture(scope="module")
def runtime() -> ModelRuntime:
    return ModelRuntime(device="cpu")


@pytest.fixture(scope="module")
def generator(spec: GeneratorSpec, runtime: ModelRuntime):
    return spec.factory(PluginContext(runtime))


def generate(generator, seeds: list[int], **options) -> list[bytes]:
    options.setdefault("steps", FEW_STEPS)
    outputs = generator.generate([GeneratorInput()] * len(seeds), DiffusionOptions(**options), seeds)
    return [out[0].data for out in outputs]


def test_registers_an_image_generator_with_its_model_folder(spec: GeneratorSpec) -> None:
    assert (spec.name, spec.modality, spec.version) == ("image-diffusion", "image", "1.0.0")
    assert spec.media_types == ("image/png",)
    assert spec.options is DiffusionOptions
    assert (spec.model_dir / "manifest.json").is_file()
    for example in spec.examples:
        DiffusionOptions(**example["options"])


def test_generator_reports_the_unet_sha256_from_the_manifest(generator, spec: GeneratorSpec) -> None:
    from aigc.core.manifest import load_manifest

    assert generator.model_sha256 == load_manifest(spec.model_dir).files["unet.onnx"].sha256


def test_unet_onnx_matches_the_torch_checkpoint_at_batch_1_16_64(
    spec: GeneratorSpec, runtime: ModelRuntime
) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.image_diffusion.export import example_feeds, load_unet

    model, _ = load_unet(spec.model_dir)
    session = runtime.session(spec.model_dir, "unet.onnx")
    for batch in (1, 16, 64):
        feeds = example_feeds(batch, seed=batch)
        with torch.no_grad():
            expected = model(*(torch.from_numpy(feeds[name]) for name in ("x", "t", "label"))).numpy()
        got = session.run(feeds)["eps"]
        assert got.shape == (batch, 1, 8, 8)
        assert np.max(np.abs(got - expected)) < 1e-4, f"batch {batch}"


def test_cosine_schedule_decreases_from_almost_one_to_almost_zero() -> None:
    alpha_bar = cosine_alpha_bar()
    assert alpha_bar.shape == (NUM_TRAIN_TIMESTEPS,)
    assert np.all(np.diff(alpha_bar) < 0)
    assert alpha_bar[0] > 0.999 and alpha_bar[-1] < 1e-4


def test_ddim_timesteps_run_from_the_last_to_the_first() -> None:
    for steps in (5, 25, 250):
        timesteps = ddim_timesteps(steps)
        assert len(timesteps) == steps
        assert (timesteps[0], timesteps[-1]) == (NUM_TRAIN_TIMESTEPS - 1, 0)
        assert np.all(np.diff(timesteps) < 0)


def test_ddim_step_with_the_true_noise_recovers_the_clean_image() -> None:
    rng = np.random.default_rng(0)
    clean, noise = rng.uniform(-1, 1, (4, 1, 8, 8)), rng.standard_normal((4, 1, 8, 8))
    a, previous = 0.3, 0.7
    noisy = np.sqrt(a) * clean + np.sqrt(1 - a) * noise
    x_previous, x0 = ddim_step(noisy, noise, a, previous)
    np.testing.assert_allclose(x0, clean, atol=1e-12)
    np.testing.assert_allclose(
        x_previous, np.sqrt(previous) * clean + np.sqrt(1 - previous) * noise, atol=1e-12
    )


def test_one_png_per_input_with_label_and_size_metadata(generator) -> None:
    check_one_labelled_png_per_input(generator, DiffusionOptions(label=4, steps=5))


def test_same_seed_and_options_give_byte_identical_pngs(spec: GeneratorSpec) -> None:
    check_same_seed_gives_identical_pngs(spec, generate, label=3, guidance_scale=2.0)


def test_a_batch_equals_the_same_samples_one_by_one(generator) -> None:
    check_batch_equals_one_by_one(generator, generate, list(range(100, 132)))


def test_guidance_runs_both_halves_in_one_session_call_per_step(generator, monkeypatch) -> None:
    calls: list[dict[str, np.ndarray]] = []
    run = generator.session.run

    def recording_run(feeds, outputs=None):
        calls.append(feeds)
        return run(feeds, outputs)

    monkeypatch.setattr(generator.session, "run", recording_run)
    generate(generator, [1, 2, 3], label=5, steps=7, guidance_scale=2.0)
    assert len(calls) == 7
    assert all(len(feeds["x"]) == 6 for feeds in calls)
    assert list(calls[0]["label"]) == [5, 5, 5, 10, 10, 10]
    calls.clear()
    generate(generator, [1, 2, 3], label=5, steps=7, guidance_scale=0.0)
    assert len(calls) == 7 and all(len(feeds["x"]) == 3 for feeds in calls)


def test_guidance_scale_changes_the_outputs(generator) -> None:
    seeds = list(range(8))
    unguided = generate(generator, seeds, label=2, guidance_scale=0.0)
    guided = generate(generator, seeds, label=2, guidance_scale=3.0)
    assert sum(a != b for a, b in zip(unguided, guided, strict=True)) >= 6


def test_steps_change_the_outputs(generator) -> None:
    assert generate(generator, [4], label=1, steps=5) != generate(generator, [4], label=1, steps=50)


def test_random_label_comes_from_the_seed(generator) -> None:
    options = DiffusionOptions(steps=5)
    outputs = generator.generate([GeneratorInput()] * 40, options, list(range(40)))
    labels = [out[0].metadata["label"] for out in outputs]
    assert len(set(labels)) >= 5
    again = generator.generate([GeneratorInput()] * 40, options, list(range(40)))
    assert labels == [out[0].metadata["label"] for out in again]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("label", 10),
        ("label", -1),
        ("steps", 4),
        ("steps", 251),
        ("guidance_scale", -0.5),
        ("guidance_scale", 10.5),
        ("scale", 0),
        ("scale", 33),
    ],
)
def test_out_of_range_options_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        DiffusionOptions(**{field: value})
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


def test_unknown_options_are_rejected() -> None:
    with pytest.raises(ValidationError, match="temperature"):
        DiffusionOptions(temperature=1.0)


def test_generated_digits_are_recognised_by_the_classifier(generator, runtime: ModelRuntime) -> None:
    accuracy = classifier_accuracy(
        generator,
        runtime,
        lambda label: DiffusionOptions(label=label, steps=FEW_STEPS),
        "image-diffusion",
        per_label=10,
    )
    assert accuracy >= MIN_RECOGNITION


def test_importing_the_generator_does_not_import_torch() -> None:
    assert not imports_torch("aigc.plugins.image_diffusion.generator", "aigc.plugins.image_diffusion")
