"""Seconds per image of a Stable Diffusion pipeline: aigc's onnx-diffusion-pipeline against diffusers.

    python benchmarks/sd_pipeline.py [--threads 2] [--steps 25] [--batches 1 4] [--rounds 3]
    python benchmarks/sd_pipeline.py --onnx ./sd15-onnx --torch ./sd15-diffusers   # a real model

By default both sides are the tiny random-weight pipeline of the tests (tests/fixtures/sd_tiny, and
the same torch weights rebuilt by tests/fixtures/make_sd_pipeline.py): it measures per-step
overhead rather than the UNet's arithmetic. Contenders, all with DDIM, classifier-free guidance
7.5, the same prompts and ``--threads`` CPU threads (needs the train and dev extras):

- ``aigc``: ``DiffusionPipeline.generate`` (tokenizer, text encoder, numpy DDIM around the ONNX
  UNet, VAE decoder), images as floats (no PNG).
- ``diffusers torch``: ``StableDiffusionPipeline`` in torch eager (``output_type="np"``).
- ``diffusers ONNX``: diffusers' own ``OnnxStableDiffusionPipeline`` on the same ONNX graphs.
- ``aigc image-text-diffusion``: the built-in text-to-image model (its own 32x32 UNet and
  all-MiniLM-L6-v2, exported in ``$AIGC_HOME``; guidance 3, PNGs included). It has no diffusers
  twin, so it has no ratio: its row says what a prompt costs with the model aigc ships.

Each contender runs in its own process (so ONNX Runtime's spinning threads and torch's do not
compete), is warmed up once per batch size, then timed ``--rounds`` times; the median is reported.
Prints a Markdown table of seconds per image and the speed relative to diffusers torch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "sd_tiny"
CONTENDERS = ("diffusers torch", "diffusers ONNX", "aigc", "aigc image-text-diffusion")
PROMPTS = ["a lighthouse at night, oil painting", "a red apple on a wooden table"]
GUIDANCE = 7.5


def aigc_call(onnx: Path, threads: int, steps: int) -> Callable[[list[str]], Any]:
    from aigc.core.registered_models import register_model
    from aigc.core.runtime import ModelRuntime
    from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions
    from aigc.plugins.onnx_diffusion_pipeline.pipeline import DiffusionPipeline

    models_file = Path(tempfile.mkdtemp()) / "models.json"
    pipeline = DiffusionPipeline(
        ModelRuntime("cpu", threads=threads), register_model(models_file, onnx, "bench")
    )
    options = PipelineOptions(model="bench", steps=steps, guidance_scale=GUIDANCE, sampler="ddim")
    return lambda prompts: pipeline.generate(prompts, options, list(range(len(prompts))))


def builtin_call(threads: int, steps: int) -> Callable[[list[str]], Any]:
    from aigc.core.config import Settings
    from aigc.core.runtime import ModelRuntime
    from aigc.core.sdk import GeneratorInput, PluginContext
    from aigc.plugins.image_text_diffusion import build_generator
    from aigc.plugins.image_text_diffusion.options import TextDiffusionOptions

    generator = build_generator(PluginContext(ModelRuntime("cpu", threads=threads), Settings()))
    options = TextDiffusionOptions(steps=steps)
    return lambda prompts: generator.generate(
        [GeneratorInput(prompt=p) for p in prompts], options, list(range(len(prompts)))
    )


def torch_pipeline(torch_dir: Path | None) -> Any:
    import diffusers

    if torch_dir is not None:
        return diffusers.StableDiffusionPipeline.from_pretrained(torch_dir, safety_checker=None)
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.make_sd_pipeline import build_pipeline

    return build_pipeline(FIXTURE / "tokenizer")


def diffusers_torch_call(
    torch_dir: Path | None, onnx: Path, threads: int, steps: int
) -> Callable[[list[str]], Any]:
    import diffusers
    import torch

    torch.set_num_threads(threads)
    pipeline = torch_pipeline(torch_dir)
    config = json.loads((onnx / "scheduler" / "scheduler_config.json").read_text())
    pipeline.scheduler = diffusers.DDIMScheduler.from_config(config)
    pipeline.set_progress_bar_config(disable=True)

    def call(prompts: list[str]) -> Any:
        with torch.inference_mode():
            return pipeline(prompts, num_inference_steps=steps, guidance_scale=GUIDANCE, output_type="np")

    return call


def diffusers_onnx_call(onnx: Path, threads: int, steps: int) -> Callable[[list[str]], Any] | None:
    import diffusers
    import onnxruntime as ort
    from transformers import CLIPTokenizer

    if not hasattr(diffusers, "OnnxStableDiffusionPipeline"):
        return None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads

    def part(name: str) -> Any:
        session = ort.InferenceSession(
            str(onnx / name / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        return diffusers.OnnxRuntimeModel(model=session)

    pipeline = diffusers.OnnxStableDiffusionPipeline(
        vae_encoder=part("vae_encoder"),
        vae_decoder=part("vae_decoder"),
        text_encoder=part("text_encoder"),
        tokenizer=CLIPTokenizer.from_pretrained(onnx / "tokenizer"),
        unet=part("unet"),
        scheduler=diffusers.DDIMScheduler.from_pretrained(onnx / "scheduler"),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    # its default size is 512x512 whatever the model: ask for the model's own, as the others make
    vae_factor = 2 ** (
        len(json.loads((onnx / "vae_decoder" / "config.json").read_text())["block_out_channels"]) - 1
    )
    size = json.loads((onnx / "unet" / "config.json").read_text())["sample_size"] * vae_factor
    return lambda prompts: pipeline(
        prompts, height=size, width=size, num_inference_steps=steps, guidance_scale=GUIDANCE, output_type="np"
    )


def seconds_per_image(call: Callable[[list[str]], Any], prompts: list[str]) -> float:
    started = time.perf_counter()
    call(prompts)
    return (time.perf_counter() - started) / len(prompts)


def contender_call(name: str, args: argparse.Namespace) -> Callable[[list[str]], Any]:
    if name == "aigc":
        return aigc_call(args.onnx, args.threads, args.steps)
    if name == "aigc image-text-diffusion":
        return builtin_call(args.threads, args.steps)
    if name == "diffusers torch":
        return diffusers_torch_call(args.torch, args.onnx, args.threads, args.steps)
    call = diffusers_onnx_call(args.onnx, args.threads, args.steps)
    if call is None:
        raise SystemExit("this diffusers has no OnnxStableDiffusionPipeline")
    return call


def measure(args: argparse.Namespace) -> None:
    """In this process: the median seconds per image of ``--contender`` for each batch size, as JSON."""
    os.environ["AIGC_THREADS"] = str(args.threads)
    call = contender_call(args.contender, args)
    medians = {}
    for batch in args.batches:
        prompts = [PROMPTS[i % len(PROMPTS)] for i in range(batch)]
        call(prompts)  # warm-up
        medians[batch] = statistics.median(seconds_per_image(call, prompts) for _ in range(args.rounds))
    print(json.dumps(medians))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--onnx", type=Path, default=FIXTURE, help="optimum ONNX folder")
    parser.add_argument("--torch", type=Path, default=None, help="diffusers folder of the same model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        measure(args)
        return
    results = {}
    for name in CONTENDERS:
        command = [sys.executable, __file__, *sys.argv[1:], "--contender", name]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"| batch | contender | s/image ({args.steps} steps) | speed vs diffusers torch |")
    print("|---:|---|---:|---:|")
    for batch in args.batches:
        reference = results["diffusers torch"][str(batch)]
        for name in CONTENDERS:
            seconds = results[name][str(batch)]
            ratio = "n/a" if name == "aigc image-text-diffusion" else f"{reference / seconds:.2f}x"
            print(f"| {batch} | {name} | {seconds:.4f} | {ratio} |")


if __name__ == "__main__":
    main()
