"""The image-text-diffusion plugin with its committed UNet and text-relevance's exported encoder:
real runtime, no mocks."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aigc.core.errors import InvalidRequestError, PluginLoadError
from aigc.core.manifest import load_manifest
from aigc.core.provenance import read_png_text
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext, Settings
from aigc.core.specs import GeneratorInput, GeneratorSpec
from aigc.plugins import image_text_diffusion, text_relevance
from aigc.plugins.image_text_diffusion.options import TextDiffusionOptions
from aigc.plugins.lib.sentence_embedding import sentence_model_folder
from tests.installed_models import model_cache
from tests.plugins.image_plugin_checks import imports_torch

FEW_STEPS = 8  # keeps the tests quick; the default is 25


def registered(data_dir: Path) -> GeneratorSpec:
    specs: list[GeneratorSpec] = []
    image_text_diffusion.aigc_register_generators(register=specs.append, settings=Settings(data_dir=data_dir))
    (spec,) = specs
    return spec


@pytest.fixture(scope="module")
def spec() -> GeneratorSpec:
    return registered(model_cache())


@pytest.fixture(scope="module")
def context() -> PluginContext:
    """A context whose data folder (the test model cache) holds text-relevance's exported model."""
    context = PluginContext(ModelRuntime(device="cpu"), Settings(data_dir=model_cache()))
    try:
        text_relevance.ensure_exported(sentence_model_folder(context.data_dir))
    except PluginLoadError as error:
        pytest.skip(f"all-MiniLM-L6-v2 could not be exported: {error}")
    return context


@pytest.fixture(scope="module")
def generator(spec: GeneratorSpec, context: PluginContext):  # type: ignore[no-untyped-def]
    return spec.factory(context)


def generate(generator, prompts: list[str], seeds: list[int], **options) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    options.setdefault("steps", FEW_STEPS)
    outputs = generator.generate(
        [GeneratorInput(prompt=p) for p in prompts], TextDiffusionOptions(**options), seeds
    )
    return [np.asarray(Image.open(io.BytesIO(out[0].data)).convert("RGB")) for out in outputs]


def test_registers_a_prompted_image_generator_with_its_model_folder(spec: GeneratorSpec) -> None:
    assert (spec.name, spec.modality, spec.prompt) == ("image-text-diffusion", "image", "required")
    assert spec.media_types == ("image/png",)
    assert (spec.model_dir / "manifest.json").is_file()
    assert TextDiffusionOptions().steps == 25


def test_demo_examples_appear_once_the_sentence_model_is_exported(
    context: PluginContext, tmp_path: Path
) -> None:
    assert [example["prompt"] for example in registered(context.data_dir).examples] == [
        "a red apple",
        "a smiling face",
    ]
    assert registered(tmp_path).examples == ()


def test_generator_reports_the_unet_sha256_from_the_manifest(generator, spec: GeneratorSpec) -> None:  # type: ignore[no-untyped-def]
    assert generator.model_sha256 == load_manifest(spec.model_dir).files["unet.onnx"].sha256


def test_unet_onnx_matches_the_torch_checkpoint_at_batch_1_16_64(spec: GeneratorSpec) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.image_text_diffusion.export import example_feeds, load_unet

    model, _ = load_unet(spec.model_dir)
    session = ModelRuntime(device="cpu").session(spec.model_dir, "unet.onnx")
    for batch in (1, 16, 64):
        feeds = example_feeds(batch, seed=batch)
        with torch.no_grad():
            expected = model(*(torch.from_numpy(feeds[name]) for name in ("x", "t", "text"))).numpy()
        got = session.run(feeds)["x0"]
        assert got.shape == (batch, 3, 32, 32)
        assert np.max(np.abs(got - expected)) < 1e-4, f"batch {batch}"


def test_four_rgb_pngs_of_64x64_that_are_not_flat(generator) -> None:  # type: ignore[no-untyped-def]
    images = generate(generator, ["a red apple"] * 4, [1, 2, 3, 4])
    assert [image.shape for image in images] == [(64, 64, 3)] * 4
    assert all(image.std() > 10 for image in images)
    assert len({image.tobytes() for image in images}) == 4


def test_same_seed_and_prompt_give_the_same_image_alone_or_in_a_batch(generator) -> None:  # type: ignore[no-untyped-def]
    prompts = ["a red apple", "a dog face", "the flag of japan"]
    batched = generate(generator, prompts, [5, 6, 7])
    alone = [
        generate(generator, [prompt], [seed])[0] for prompt, seed in zip(prompts, [5, 6, 7], strict=True)
    ]
    assert all(np.array_equal(a, b) for a, b in zip(batched, alone, strict=True))


def test_different_prompts_from_the_same_seeds_differ(generator) -> None:  # type: ignore[no-untyped-def]
    seeds = [10, 11, 12, 13]
    apples = np.stack(generate(generator, ["a red apple"] * 4, seeds)).astype(float)
    flags = np.stack(generate(generator, ["the flag of germany"] * 4, seeds)).astype(float)
    assert np.abs(apples - flags).mean() > 10


def test_guidance_runs_conditional_and_negative_rows_in_one_call_per_step(generator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[dict[str, np.ndarray]] = []
    run = generator.session.run

    def recording_run(feeds, outputs=None):  # type: ignore[no-untyped-def]
        calls.append(feeds)
        return run(feeds, outputs)

    monkeypatch.setattr(generator.session, "run", recording_run)
    generate(generator, ["a cat", "a car"], [1, 2], steps=6, guidance_scale=2.0)
    assert len(calls) == 6 and all(len(feeds["x"]) == 4 for feeds in calls)
    assert np.all(calls[0]["text"][2:] == 0.0) and np.all(np.abs(calls[0]["text"][:2]).sum(1) > 0)
    calls.clear()
    generate(generator, ["a cat", "a car"], [1, 2], steps=6, guidance_scale=2.0, negative_prompt="blue")
    assert np.allclose(np.linalg.norm(calls[0]["text"][2:], axis=1), 1.0, atol=1e-5)
    calls.clear()
    generate(generator, ["a cat", "a car"], [1, 2], steps=6, guidance_scale=0.0)
    assert all(len(feeds["x"]) == 2 for feeds in calls)


def test_a_blank_prompt_is_refused_naming_the_field(generator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequestError, match="prompt"):
        generate(generator, ["   "], [1])


def test_a_missing_sentence_model_names_the_install_step(spec: GeneratorSpec, tmp_path: Path) -> None:
    context = PluginContext(ModelRuntime(device="cpu"), Settings(data_dir=tmp_path))
    with pytest.raises(PluginLoadError, match=r"text_relevance\.export"):
        spec.factory(context)


def test_serving_does_not_import_torch() -> None:
    assert not imports_torch("aigc.plugins.image_text_diffusion.generator")


def test_the_engine_stores_four_pngs_with_provenance_and_memorization_results(  # type: ignore[no-untyped-def]
    engine, settings: Settings, context: PluginContext
) -> None:
    models = settings.data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "text-relevance").symlink_to(context.data_dir / "models" / "text-relevance")
    request = {
        "generator": "image-text-diffusion",
        "prompt": "a red apple",
        "options": {"steps": FEW_STEPS},
        "n": 4,
        "seed": 1,
        "evaluators": ["image-memorization"],
    }
    result = engine.generate(request)
    assert result.status == "completed" and len(result.generations) == 4
    for generation, seed in zip(result.generations, (1, 2, 3, 4), strict=True):
        fields = read_png_text(engine.store.read_artifact(generation.artifacts[0].id))
        assert fields["generator"] == "image-text-diffusion" and fields["seed"] == str(seed)
        assert fields["model-sha256"] == generation.model_sha256 and fields["prompt"] == "a red apple"
        [evaluation] = generation.evaluations
        assert evaluation.metric == "nearest_training_distance" and evaluation.details["file"]
