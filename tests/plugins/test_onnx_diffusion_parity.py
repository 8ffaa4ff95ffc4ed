"""``onnx-diffusion-pipeline`` against diffusers itself: the samplers against diffusers' schedulers, the
tokenizer against transformers' ``CLIPTokenizer``, and whole images against diffusers' torch pipelines
built from the same tiny weights (``tests/fixtures/make_sd_pipeline.py`` rebuilds them from its seed).

Needs torch, diffusers and transformers (the train, bench and dev extras); skipped without them.
Images are compared as floats in [0, 1] (``output_type="np"``) before PNG quantisation:
``IMAGE_TOLERANCE`` covers float32 differences between ONNX Runtime and torch kernels, carried
through the denoising loop.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigc.core.registered_models import register_model
from aigc.core.runtime import ModelRuntime
from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions
from aigc.plugins.onnx_diffusion_pipeline.pipeline import DiffusionPipeline
from aigc.plugins.onnx_diffusion_pipeline.samplers import SchedulerConfig, sampler
from aigc.plugins.onnx_diffusion_pipeline.tokenizer import ClipTokenizer

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
pytest.importorskip("transformers")

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sd_tiny"
IMAGE_TOLERANCE = 2e-3
PROMPTS = ["a photo of an astronaut riding a horse", "a red apple on a wooden table"]
SCHEDULERS = {"ddim": "DDIMScheduler", "euler": "EulerDiscreteScheduler"}
SCHEDULE_CASES = [
    {
        "beta_schedule": "scaled_linear",
        "timestep_spacing": "leading",
        "steps_offset": 1,
        "set_alpha_to_one": False,
    },
    {"beta_schedule": "linear", "timestep_spacing": "trailing", "prediction_type": "v_prediction"},
    {"beta_schedule": "scaled_linear", "timestep_spacing": "linspace", "clip_sample": True},
    {
        "beta_schedule": "linear",
        "timestep_spacing": "leading",
        "set_alpha_to_one": True,
        "clip_sample": False,
    },
]


@pytest.fixture(scope="module")
def reference() -> Any:
    """diffusers' torch pipeline with the fixture's weights."""
    from tests.fixtures.make_sd_pipeline import build_pipeline

    return build_pipeline(FIXTURE / "tokenizer")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> DiffusionPipeline:
    models_file = tmp_path_factory.mktemp("models") / "models.json"
    return DiffusionPipeline(ModelRuntime("cpu"), register_model(models_file, FIXTURE, "tiny"))


def _scheduler(name: str, config: dict[str, Any] | None = None) -> Any:
    """diffusers' scheduler ``name`` from ``config``, by default the fixture folder's."""
    folder_config = json.loads((FIXTURE / "scheduler" / "scheduler_config.json").read_text())
    return getattr(diffusers, SCHEDULERS[name]).from_config(config or folder_config)


@pytest.mark.parametrize("case", SCHEDULE_CASES)
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_the_samplers_step_as_diffusers_schedulers(name: str, case: dict[str, Any]) -> None:
    config = {"beta_start": 0.00085, "beta_end": 0.012, **case}
    steps = 12
    ours, theirs = sampler(name, SchedulerConfig.model_validate(config), steps), _scheduler(name, config)
    theirs.set_timesteps(steps)
    np.testing.assert_allclose(ours.timesteps, theirs.timesteps.numpy(), rtol=0, atol=1e-4)
    assert ours.init_noise_sigma == pytest.approx(float(theirs.init_noise_sigma), rel=1e-5)
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((2, 4, 8, 8), dtype=np.float32) * np.float32(ours.init_noise_sigma)
    reference = torch.from_numpy(latents.copy())
    for index, t in enumerate(theirs.timesteps):
        scaled = ours.scale_model_input(latents, index)
        np.testing.assert_allclose(
            scaled, theirs.scale_model_input(reference, t).numpy(), rtol=1e-5, atol=1e-5
        )
        output = rng.standard_normal(latents.shape, dtype=np.float32)
        latents = ours.step(output, index, latents)
        reference = theirs.step(torch.from_numpy(output), t, reference).prev_sample
        np.testing.assert_allclose(latents, reference.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_image_to_image_noise_is_added_as_diffusers_adds_it(name: str) -> None:
    config = {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "steps_offset": 1}
    ours, theirs = sampler(name, SchedulerConfig.model_validate(config), 10), _scheduler(name, config)
    theirs.set_timesteps(10)
    if hasattr(theirs, "set_begin_index"):  # Euler reads its sigma from the start index
        theirs.set_begin_index(4)
    rng = np.random.default_rng(1)
    image, noise = rng.standard_normal((2, 1, 4, 4, 4), dtype=np.float32)
    expected = theirs.add_noise(torch.from_numpy(image), torch.from_numpy(noise), theirs.timesteps[4:5])
    np.testing.assert_allclose(ours.add_noise(image, noise, 4), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_prompts_tokenize_as_transformers_clip_tokenizer() -> None:
    from transformers import CLIPTokenizer

    theirs = CLIPTokenizer.from_pretrained(FIXTURE / "tokenizer")
    texts = [*PROMPTS, "", "The  QUICK brown fox's 42 sunsets!!", "café " * 20]
    expected = theirs(texts, padding="max_length", max_length=theirs.model_max_length, truncation=True)
    np.testing.assert_array_equal(ClipTokenizer(FIXTURE / "tokenizer")(texts), expected.input_ids)


def _latents(pipeline: DiffusionPipeline, count: int, size: tuple[int, int] = (8, 8)) -> np.ndarray:
    return np.random.default_rng(7).standard_normal(
        (count, pipeline.latent_channels, *size), dtype=np.float32
    )


@pytest.mark.parametrize("guidance", [1.0, 6.0])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_text_to_image_equals_diffusers_pipeline(
    pipeline: DiffusionPipeline, reference: Any, name: str, guidance: float
) -> None:
    options = PipelineOptions(model="tiny", steps=6, guidance_scale=guidance, sampler=name, width=96)
    noise = _latents(pipeline, len(PROMPTS), (8, 12))
    ours = pipeline.generate(PROMPTS, options, [0, 1], noise=noise)
    reference.scheduler = _scheduler(name)
    theirs = reference(
        PROMPTS,
        height=64,
        width=96,
        num_inference_steps=6,
        guidance_scale=guidance,
        latents=torch.from_numpy(noise),
        output_type="np",
    ).images
    assert ours.shape == theirs.shape == (2, 64, 96, 3)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=IMAGE_TOLERANCE)


def test_the_negative_prompt_is_the_unguided_half(pipeline: DiffusionPipeline, reference: Any) -> None:
    options = PipelineOptions(model="tiny", steps=4, guidance_scale=5.0, negative_prompt="blurry, watermark")
    noise = _latents(pipeline, 1)
    ours = pipeline.generate(PROMPTS[:1], options, [0], noise=noise)
    reference.scheduler = _scheduler("ddim")
    theirs = reference(
        PROMPTS[:1],
        negative_prompt=["blurry, watermark"],
        num_inference_steps=4,
        guidance_scale=5.0,
        latents=torch.from_numpy(noise),
        output_type="np",
    ).images
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=IMAGE_TOLERANCE)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_image_to_image_equals_diffusers_img2img_pipeline(
    pipeline: DiffusionPipeline, reference: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """diffusers samples the encoder's latent distribution; aigc takes its mean, so the reference is
    told to as well, and both add the same noise."""
    from diffusers.pipelines.stable_diffusion import pipeline_stable_diffusion_img2img as img2img
    from PIL import Image

    pixels = (np.random.default_rng(3).random((64, 64, 3)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    noise = _latents(pipeline, 1)
    options = PipelineOptions(
        model="tiny", steps=10, strength=0.6, guidance_scale=4.0, sampler=name, image=image
    )
    ours = pipeline.generate(PROMPTS[:1], options, [0], noise=noise)
    monkeypatch.setattr(img2img, "randn_tensor", lambda *args, **kwargs: torch.from_numpy(noise))
    monkeypatch.setattr(img2img, "retrieve_latents", lambda output, **kwargs: output.latent_dist.mode())
    components = {**reference.components, "scheduler": _scheduler(name)}
    theirs = diffusers.StableDiffusionImg2ImgPipeline(**components)(
        PROMPTS[:1],
        image=Image.fromarray(pixels),
        strength=0.6,
        num_inference_steps=10,
        guidance_scale=4.0,
        output_type="np",
    ).images
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=IMAGE_TOLERANCE)
