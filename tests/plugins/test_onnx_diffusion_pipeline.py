"""``onnx-diffusion-pipeline`` on the tiny random-weight pipeline (tests/fixtures/sd_tiny): registration,
validation, seeded plausible images, and generation through the engine, the CLI and a job.
Parity with diffusers is in test_onnx_diffusion_parity.py."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.registered_models import load_registered, register_model
from aigc.core.runtime import ModelRuntime
from aigc.core.specs import ArtifactData, GeneratorInput
from aigc.plugins.onnx_diffusion_pipeline.generator import OnnxDiffusionPipelineGenerator
from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions
from tests.cli.runner import Aigc

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sd_tiny"
FAST = {"model": "tiny", "steps": 3}


@pytest.fixture
def models_file(aigc_settings: Settings) -> Path:
    """The test engine's models file with the fixture registered as ``tiny``."""
    path = aigc_settings.resolved_models_file
    register_model(path, FIXTURE, "tiny")
    return path


@pytest.fixture
def generator(models_file: Path, aigc_runtime: ModelRuntime) -> OnnxDiffusionPipelineGenerator:
    return OnnxDiffusionPipelineGenerator(aigc_runtime, models_file)


def pixels(artifact: ArtifactData) -> np.ndarray:
    with Image.open(io.BytesIO(artifact.payload)) as image:
        return np.asarray(image.convert("RGB"))


def generate(
    generator: OnnxDiffusionPipelineGenerator, prompts: list[str], seeds: list[int], **options: object
) -> list[np.ndarray]:
    asked = PipelineOptions.model_validate(FAST | options)
    result = generator.generate([GeneratorInput(prompt=p) for p in prompts], asked, seeds)
    return [pixels(artifact) for [artifact] in result]


def test_images_are_seeded_sized_and_depend_on_the_prompt(generator: OnnxDiffusionPipelineGenerator) -> None:
    first = generate(generator, ["a cat", "a cat", "a dog"], [1, 2, 1])
    again = generate(generator, ["a dog", "a cat"], [1, 1])  # other batch, same seeds
    assert all(image.shape == (64, 64, 3) for image in first)  # the UNet's 8x8 latents, 8x up
    np.testing.assert_array_equal(first[0], again[1])
    np.testing.assert_array_equal(first[2], again[0])
    assert first[0].std() > 1 and not np.array_equal(first[0], first[1])  # not constant; seeds differ
    assert not np.array_equal(first[0], first[2])  # prompts differ


def test_options_change_the_image_as_asked(generator: OnnxDiffusionPipelineGenerator) -> None:
    [plain] = generate(generator, ["a cat"], [3])
    [wide] = generate(generator, ["a cat"], [3], width=96, height=64)
    [euler] = generate(generator, ["a cat"], [3], sampler="euler")
    [unguided] = generate(generator, ["a cat"], [3], guidance_scale=1.0)
    [negative] = generate(generator, ["a cat"], [3], negative_prompt="blurry")
    assert wide.shape == (64, 96, 3)
    for other in (euler, unguided, negative):
        assert not np.array_equal(plain, other)


def test_image_to_image_starts_from_the_image(generator: OnnxDiffusionPipelineGenerator) -> None:
    [source] = generate(generator, ["a red apple"], [4])
    buffer = io.BytesIO()
    Image.fromarray(source).resize((80, 48)).save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    [light] = generate(generator, ["a red apple"], [5], image=image, strength=0.3, steps=10)
    [heavy] = generate(generator, ["a red apple"], [5], image=image, strength=1.0, steps=10)
    assert light.shape == (48, 80, 3)  # the input's size (a multiple of 16 for this UNet)
    assert not np.array_equal(light, heavy)


def test_sizes_the_unet_cannot_take_are_refused_naming_the_field(
    generator: OnnxDiffusionPipelineGenerator,
) -> None:
    with pytest.raises(ValidationError, match="multiple of 8"):
        PipelineOptions(model="tiny", width=100)
    with pytest.raises(ValidationError, match="less than or equal to 2048"):
        PipelineOptions(model="tiny", height=4096)
    with pytest.raises(InvalidRequestError) as raised:
        generate(generator, ["a cat"], [1], width=72)  # a multiple of 8, not of this UNet's 16
    assert raised.value.errors[0]["field"] == "options.width"
    assert "multiple of 16" in str(raised.value)


def test_a_unet_exported_with_a_fixed_size_takes_that_size_only(
    generator: OnnxDiffusionPipelineGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    unet = generator.pipeline("tiny").unet
    monkeypatch.setitem(unet.shapes, "sample", ["batch", 4, 8, 8])  # as a static-shape export declares
    assert generate(generator, ["a cat"], [1])[0].shape == (64, 64, 3)
    with pytest.raises(InvalidRequestError) as raised:
        generate(generator, ["a cat"], [1], height=96)
    assert raised.value.errors[0]["field"] == "options.height" and "must be 64" in str(raised.value)


def test_strength_needs_an_image() -> None:
    with pytest.raises(ValidationError, match="only used with `image`"):
        PipelineOptions(model="tiny", strength=0.5)
    with pytest.raises(ValidationError, match="base64"):
        PipelineOptions(model="tiny", image="not a png")


def test_image_to_image_without_a_vae_encoder_is_refused(tmp_path: Path, aigc_runtime: ModelRuntime) -> None:
    folder = tmp_path / "no-encoder"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("vae_encoder"))
    register_model(tmp_path / "models.json", folder, "no-encoder")
    generator = OnnxDiffusionPipelineGenerator(aigc_runtime, tmp_path / "models.json")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    assert generate(generator, ["a cat"], [1], model="no-encoder")  # text-to-image still works
    with pytest.raises(InvalidRequestError) as raised:
        generate(generator, ["a cat"], [1], model="no-encoder", image=image)
    assert raised.value.errors[0]["field"] == "options.image"
    assert "vae_encoder/model.onnx" in str(raised.value)


def test_a_request_records_the_pipelines_sha256(models_file: Path, aigc_engine: Engine) -> None:
    result = aigc_engine.generate(
        {"generator": "onnx-diffusion-pipeline", "prompt": "a cat", "options": FAST, "n": 2, "seed": 1}
    )
    assert result.status == "completed", result.error
    tiny = load_registered(models_file)["tiny"]
    assert tiny.format == "stable-diffusion" and len(tiny.manifest.files) == len(
        [p for p in FIXTURE.rglob("*") if p.is_file()]
    )
    assert {g.model_sha256 for g in result.generations} == {tiny.sha256}
    assert [a.media_type for g in result.generations for a in g.artifacts] == ["image/png"] * 2


def test_an_unregistered_model_names_the_add_command(models_file: Path, aigc_engine: Engine) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        aigc_engine.generate(
            {"generator": "onnx-diffusion-pipeline", "prompt": "a", "options": {"model": "nope"}}
        )
    assert raised.value.errors[0]["field"] == "options.model"
    assert "aigc models add PATH --name NAME" in str(raised.value)


def test_a_language_model_is_not_taken_for_a_pipeline(tmp_path: Path, aigc_engine: Engine) -> None:
    register_model(aigc_engine.context.models_file, FIXTURE.parent / "causal_lm" / "gpt2", "gpt2")
    with pytest.raises(InvalidRequestError, match="not a Stable Diffusion ONNX folder"):
        aigc_engine.generate(
            {"generator": "onnx-diffusion-pipeline", "prompt": "a", "options": {"model": "gpt2"}}
        )


def test_a_file_changed_after_registration_is_refused(tmp_path: Path, aigc_engine: Engine) -> None:
    folder = tmp_path / "sd"
    shutil.copytree(FIXTURE, folder)
    register_model(aigc_engine.context.models_file, folder, "tampered")
    with (folder / "tokenizer" / "merges.txt").open("a") as handle:
        handle.write("a b\n")
    result = aigc_engine.generate(
        {"generator": "onnx-diffusion-pipeline", "prompt": "a", "options": {"model": "tampered", "steps": 2}}
    )
    assert result.status == "failed"
    assert "merges.txt has sha256" in (result.error or "")


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (
            {"use_karras_sigmas": True},
            "use_karras_sigmas=True; aigc's samplers support use_karras_sigmas=False",
        ),
        ({"beta_schedule": "squaredcos_cap_v2"}, "scheduler_config.json: beta_schedule:"),
    ],
)
def test_scheduler_settings_the_samplers_lack_are_refused_by_name(
    tmp_path: Path, aigc_engine: Engine, setting: dict[str, object], named: str
) -> None:
    folder = tmp_path / "sd"
    shutil.copytree(FIXTURE, folder)
    config = folder / "scheduler" / "scheduler_config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | setting))
    register_model(aigc_engine.context.models_file, folder, "odd")
    result = aigc_engine.generate(
        {"generator": "onnx-diffusion-pipeline", "prompt": "a", "options": {"model": "odd", "steps": 2}}
    )
    assert result.status == "failed" and named in (result.error or "")


def test_registering_an_incomplete_pipeline_names_the_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "sd"
    shutil.copytree(FIXTURE, folder, ignore=shutil.ignore_patterns("unet", "merges.txt"))
    with pytest.raises(InvalidRequestError) as raised:
        register_model(tmp_path / "models.json", folder, "broken")
    assert raised.value.errors[0]["field"] == "path"
    assert "unet/model.onnx, tokenizer/merges.txt" in str(raised.value)


def test_the_cli_registers_the_folder_and_generates(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "aigc-data")
    added = aigc.run("models", "add", str(FIXTURE), "--name", "tiny").stdout
    assert "stable-diffusion" in added and "onnx-diffusion-pipeline" in added
    request = (
        "generate",
        "onnx-diffusion-pipeline",
        "a cat",
        "-o",
        "model=tiny",
        "-o",
        "steps=2",
        "--seed",
        "3",
    )
    first, again = aigc.json(*request), aigc.json(*request)
    [a], [b] = first["generations"][0]["artifacts"], again["generations"][0]["artifacts"]
    assert a["media_type"] == "image/png" and a["sha256"] == b["sha256"]
    missing = aigc.run("generate", "onnx-diffusion-pipeline", "a cat", expect=2)
    assert "options.model" in missing.stderr + missing.stdout


def test_a_job_generates_every_item(tmp_path: Path) -> None:
    aigc = Aigc(tmp_path / "aigc-data")
    aigc.run("models", "add", str(FIXTURE), "--name", "tiny")
    spec = tmp_path / "job.yaml"
    spec.write_text(
        "name: pictures\ngenerator: onnx-diffusion-pipeline\noptions: {model: tiny, steps: 2}\n"
        "inputs:\n  items:\n    - {prompt: a cat}\n    - {prompt: a dog}\nn: 2\n"
    )
    assert "completed" in aigc.run("jobs", "run", str(spec), "--no-outputs").stdout
    status = aigc.json("jobs", "status", "1")
    assert (status["status"], status["done"]) == ("completed", 4)


def test_the_io_bound_unet_predicts_what_the_plain_call_does(
    generator: OnnxDiffusionPipelineGenerator,
) -> None:
    """The CUDA path (IO binding) run on CPU memory: same feeds, same graph, same output."""
    from aigc.plugins.onnx_diffusion_pipeline.pipeline import BoundDenoiser

    pipeline = generator.pipeline("tiny")
    hidden = pipeline.encode_prompts(["a cat", "a dog"], "", guided=True)
    latents = np.random.default_rng(0).standard_normal((4, 4, 8, 8), dtype=np.float32)
    bound = BoundDenoiser(pipeline.unet, hidden, "cpu")
    for t in (981.0, 21.0):
        np.testing.assert_allclose(bound(latents, t), pipeline.unet.denoiser(hidden)(latents, t), atol=1e-6)
