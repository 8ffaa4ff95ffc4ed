"""Compare the image model families on the 8x8 digits: GAN, VAE and diffusion (several step counts).

    python benchmarks/model_families.py [--per-label 36] [--diffusion-steps 5 10 25 50] [--guidance 0 0.25 1]
        [--threads 2] [--skip-speed] [--output docs/model-families.md]

Writes ``docs/model-families.md`` (what each column measures is explained at its top, see
``PREAMBLE``) and one picture grid per family next to it, in ``docs/model-families/``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from timing import calls_per_repetition

REPETITIONS = 7
MIN_REPETITION_SECONDS = 0.2
KID_SUBSETS = 50
KID_SUBSET_SIZE = 100
UNLABELLED_SAMPLES = 100


@dataclass
class Family:
    """One row of the table: a generator, its options and a torch callable for one batch."""

    name: str
    generator: Any
    options: Callable[..., Any]
    torch_batch: Callable[[int], Callable[[], object]] | None
    onnx_bytes: int


def time_per_image(call: Callable[[], object], batch: int) -> float:
    """Images per second: median of ``REPETITIONS`` repetitions of at least ``MIN_REPETITION_SECONDS``."""
    calls = calls_per_repetition(call, MIN_REPETITION_SECONDS, warmup_calls=1)
    rates = []
    for _ in range(REPETITIONS):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        rates.append(batch * calls / (time.perf_counter() - started))
    return statistics.median(rates)


def build_families(diffusion_steps: list[int], guidance_scales: list[float]) -> list[Family]:
    """The committed generators with their torch twins."""
    import torch

    from aigc.core.sdk import ModelRuntime, PluginContext
    from aigc.plugins import image_diffusion, image_gan, image_vae
    from aigc.plugins.image_diffusion.export import load_unet
    from aigc.plugins.image_diffusion.options import DiffusionOptions
    from aigc.plugins.image_gan.export import load_generator
    from aigc.plugins.image_gan.options import GanOptions
    from aigc.plugins.image_vae.export import load_vae
    from aigc.plugins.image_vae.options import VaeOptions
    from aigc.plugins.lib.diffusion.schedule import cosine_alpha_bar, ddim_timesteps

    runtime = ModelRuntime(device="cpu")
    gan_torch, _ = load_generator()
    _, vae_torch, _ = load_vae()
    unet_torch, _ = load_unet()

    def latent_call(model: torch.nn.Module, z_dim: int) -> Callable[[int], Callable[[], object]]:
        def make(batch: int) -> Callable[[], object]:
            z, label = torch.randn(batch, z_dim), torch.randint(0, 10, (batch,))

            def call() -> object:
                with torch.inference_mode():
                    return model(z, label)

            return call

        return make

    def diffusion_call(steps: int, guidance: float) -> Callable[[int], Callable[[], object]]:
        alpha_bar = torch.from_numpy(cosine_alpha_bar()).float()
        timesteps = ddim_timesteps(steps)

        def make(batch: int) -> Callable[[], object]:
            labels = torch.randint(0, 10, (batch,))
            rows = 2 * batch if guidance else batch
            both = torch.cat([labels, torch.full((batch,), 10)]) if guidance else labels

            def call() -> object:
                x = torch.randn(batch, 1, 8, 8)
                with torch.inference_mode():
                    for index, t in enumerate(timesteps):
                        eps = unet_torch(
                            torch.cat([x, x]) if guidance else x, torch.full((rows,), int(t)), both
                        )
                        if guidance:
                            eps = eps[:batch] + guidance * (eps[:batch] - eps[batch:])
                        a = alpha_bar[t]
                        prev = (
                            alpha_bar[timesteps[index + 1]]
                            if index + 1 < len(timesteps)
                            else torch.tensor(1.0)
                        )
                        x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
                        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
                        x = prev.sqrt() * x0 + (1 - prev).sqrt() * eps
                return x

            return call

        return make

    def size(module: Any, *files: str) -> int:
        return sum((module.MODEL_DIR / f).stat().st_size for f in files)

    families = [
        Family(
            "GAN (truncation 2.0)",
            image_gan.build_generator(PluginContext(runtime)),
            lambda **kw: GanOptions(scale=kw.pop("scale", 1), **kw),
            latent_call(gan_torch, gan_torch.config.z_dim),
            size(image_gan, "generator.onnx"),
        ),
        Family(
            "VAE (temperature 1.0)",
            image_vae.build_generator(PluginContext(runtime)),
            lambda **kw: VaeOptions(scale=kw.pop("scale", 1), **kw),
            latent_call(vae_torch, vae_torch.config.z_dim),
            size(image_vae, "decoder.onnx"),
        ),
    ]
    diffusion = image_diffusion.build_generator(PluginContext(runtime))
    for steps in diffusion_steps:
        for guidance in guidance_scales:
            families.append(
                Family(
                    f"diffusion ({steps} steps, guidance {guidance:g})",
                    diffusion,
                    lambda s=steps, g=guidance, **kw: DiffusionOptions(
                        steps=s, guidance_scale=g, scale=kw.pop("scale", 1), **kw
                    ),
                    diffusion_call(steps, guidance),
                    size(image_diffusion, "unet.onnx"),
                )
            )
    return families


def generated_features(space: Any, outputs: list[list[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(scaled features, predicted classes) of the first artifact of each sample."""
    from aigc.core.specs import EvalItem

    return space.features([EvalItem(out[0], None, "benchmark", {}) for out in outputs])


def labelled_outputs(family: Family, per_label: int, **options: Any) -> list[list[Any]]:
    """``per_label`` samples of each digit, seeds ``label*1000 + i``, labels in order."""
    from aigc.core.specs import GeneratorInput

    outputs = []
    for label in range(10):
        seeds = [label * 1000 + i for i in range(per_label)]
        outputs += family.generator.generate(
            [GeneratorInput()] * len(seeds), family.options(label=label, **options), seeds
        )
    return outputs


def quality(family: Family | None, space: Any, per_label: int) -> dict[str, float]:
    """Accuracy, FID, KID and diversity of a family (``None``: the real-vs-real reference)."""
    from aigc.core.specs import GeneratorInput
    from aigc.plugins.image_metrics.evaluators import stratified_halves
    from aigc.plugins.image_metrics.metrics import diversity, frechet_distance, kernel_inception_distance

    rng = np.random.default_rng(0)
    real, real_labels = space.reference, space.reference_labels
    half_a, half_b = stratified_halves(real_labels)
    if family is None:
        labels, accuracy = real_labels, float("nan")
        generated, coverage = real, diversity(real, real_labels).class_coverage
        pairs = [(real[half_a], real[half_b])]
    else:
        labels = np.repeat(np.arange(10), per_label)
        generated, predicted = generated_features(space, labelled_outputs(family, per_label))
        accuracy = float(np.mean(predicted == labels))
        gen_a, gen_b = stratified_halves(labels, seed=2)
        pairs = [(generated[gen_a], real[half_a]), (generated[gen_b], real[half_b])]
        free_seeds = list(range(500_000, 500_000 + UNLABELLED_SAMPLES))
        free = family.generator.generate(
            [GeneratorInput()] * UNLABELLED_SAMPLES, family.options(), free_seeds
        )
        free_features, free_predicted = generated_features(space, free)
        coverage = diversity(free_features, free_predicted).class_coverage
    fid = float(np.mean([frechet_distance(a, b) for a, b in pairs]))
    kid = float(
        np.mean([kernel_inception_distance(a, b, KID_SUBSETS, KID_SUBSET_SIZE, rng).mean for a, b in pairs])
    )
    within = float(
        np.mean(
            [diversity(generated[labels == k], labels[labels == k]).mean_pairwise_distance for k in range(10)]
        )
    )
    return {
        "accuracy": accuracy,
        "fid": fid,
        "kid": kid,
        "within_class_distance": within,
        "coverage": coverage,
    }


def speed(family: Family, threads: int) -> dict[str, float]:
    """Images/s through aigc (PNGs at scale 8) and torch eager at batch 1 and 64."""
    from aigc.core.specs import GeneratorInput

    figures = {}
    for batch in (1, 64):
        seeds = list(range(batch))
        options = family.options(label=3, scale=8)

        def through_aigc(seeds: list[int] = seeds, options: Any = options) -> object:
            return family.generator.generate([GeneratorInput()] * len(seeds), options, seeds)

        figures[f"aigc_{batch}"] = time_per_image(through_aigc, batch)
        time.sleep(0.1)  # let ORT's pool stop spinning before torch runs
        if family.torch_batch is not None:
            figures[f"torch_{batch}"] = time_per_image(family.torch_batch(batch), batch)
    return figures


GRID_COLUMNS = 10
GRID_SCALE = 4


def write_grid(family: Family, path: Path) -> None:
    """One row per label of the family's first ``GRID_COLUMNS`` labelled samples (the scored ones)."""
    from aigc.core.cli.showcase import contact_sheet

    outputs = labelled_outputs(family, GRID_COLUMNS, scale=GRID_SCALE)
    rows = [[out[0].data for out in outputs[k * GRID_COLUMNS : (k + 1) * GRID_COLUMNS]] for k in range(10)]
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(path, format="PNG", optimize=True)


def slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() or c == "." else " " for c in name.lower()).split())


def machine() -> str:
    import platform

    import onnxruntime
    import torch

    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), Python "
        f"{platform.python_version()}, torch {torch.__version__}, onnxruntime {onnxruntime.__version__}"
    )


def render_row(name: str, family: Family | None, q: dict[str, float], s: dict[str, float] | None) -> str:
    accuracy = "—" if np.isnan(q["accuracy"]) else f"{q['accuracy']:.1%}"
    line = (
        f"| {name} | {accuracy} | {q['fid']:.3f} | {q['kid']:.4f} | "
        f"{q['within_class_distance']:.2f} | {q['coverage']:.0%} |"
    )
    if s is None:
        return line + " — | — | — | — | — |"
    assert family is not None
    return line + (
        f" {s['aigc_1']:,.0f} | {s['aigc_64']:,.0f} | {s.get('torch_1', 0):,.0f} | "
        f"{s.get('torch_64', 0):,.0f} | {family.onnx_bytes / 1e6:.2f} MB |"
    )


PREAMBLE = """# Image model families: GAN, VAE and diffusion on the same digits

Written by `{command}` on {machine}; do not edit by hand.

All three generators are trained on the same train split of scikit-learn's 8x8 digits and judged
by the same evaluators, the ones a request can name (`image-class-match`, `image-fid`,
`image-kid`, `image-diversity`), on the classifier's 128-d features scaled by the real digits'
RMS (see `plugins/image_metrics/evaluators.py`):

- **accuracy**: share of {labelled} labelled samples ({per_label} per digit, seeds `label*1000 + i`)
  that the classifier reads as the requested digit (chance: 10%);
- **FID** and **KID** (50 subsets of 100): the 360 held-out real digits are cut into two
  class-stratified halves A and B; a family's figure is the mean of (its first 180 samples vs A)
  and (its other 180 vs B). The first row, real A vs real B, is the line a perfect generator
  reaches. FID depends on the sample size, so only figures at the same size compare;
- **within-class distance**: mean pairwise feature distance among samples of one digit, averaged
  over digits (variety; the real digits' own spread is the reference);
- **classes (no label)**: share of the 10 digits predicted among {unlabelled} samples drawn without a
  label (mode collapse shows here);
- **images/s**: through the plugin's `generate` (PNG-encoded, as the engine calls it) and through
  torch eager (the networks only, on ready tensors; every DDIM step, the guided half included) at
  batch 1 and 64, {threads} threads each, median of 7 repetitions of at least 0.2 s, all in one
  process; **ONNX size**: the served graph.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-label", type=int, default=36, help="labelled samples per digit (even)")
    parser.add_argument("--diffusion-steps", type=int, nargs="+", default=[5, 10, 25, 50])
    parser.add_argument("--guidance", type=float, nargs="+", default=[0.0, 0.25, 1.0])
    parser.add_argument("--grid-guidance", type=float, default=0.25, help="diffusion guidance of the grids")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--output", type=Path, default=Path("docs/model-families.md"))
    args = parser.parse_args()
    os.environ["AIGC_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)

    from rich.progress import track

    from aigc.core.sdk import ModelRuntime, PluginContext
    from aigc.plugins.image_metrics import feature_space

    space = feature_space(PluginContext(ModelRuntime(device="cpu")))
    families = build_families(args.diffusion_steps, args.guidance)
    rows: list[tuple[str, Family | None]] = [("real held-out A vs B (reference)", None)]
    rows += [(f.name, f) for f in families]
    lines = [
        "| model | accuracy | FID | KID | within-class dist. | classes (no label) |"
        + ("" if args.skip_speed else " aigc img/s b1 | b64 | torch img/s b1 | b64 | ONNX size |"),
        "|---" + "|---:" * (5 if args.skip_speed else 10) + "|",
    ]
    for name, family in track(rows, description="measuring"):
        q = quality(family, space, args.per_label)
        s = None if args.skip_speed or family is None else speed(family, args.threads)
        line = render_row(name, family, q, s)
        lines.append(line.rsplit(" — | — | — | — | — |", 1)[0] if args.skip_speed else line)
        print(lines[-1], flush=True)
    grid_dir = args.output.with_suffix("")
    grids = [
        f
        for f in families
        if not f.name.startswith("diffusion") or f"guidance {args.grid_guidance:g})" in f.name
    ]
    pictures = []
    for family in track(grids, description="grids"):
        path = grid_dir / f"{slug(family.name)}.png"
        write_grid(family, path)
        pictures.append(f"### {family.name}\n\n![{family.name}]({grid_dir.name}/{path.name})\n")
    command = "python benchmarks/model_families.py" + (" --skip-speed" if args.skip_speed else "")
    preamble = PREAMBLE.format(
        command=command,
        machine=machine(),
        labelled=10 * args.per_label,
        per_label=args.per_label,
        unlabelled=UNLABELLED_SAMPLES,
        threads=args.threads,
    )
    grid_intro = (
        f"## Samples\n\nOne row per digit 0-9, the first {GRID_COLUMNS} scored samples of each "
        f"(seeds `label*1000 + 0..{GRID_COLUMNS - 1}`); diffusion at guidance {args.grid_guidance:g}.\n"
    )
    args.output.write_text(
        preamble + "\n## Figures\n\n" + "\n".join(lines) + "\n\n" + grid_intro + "\n" + "\n".join(pictures)
    )
    print(f"wrote {args.output} and {len(pictures)} grids in {grid_dir}")


if __name__ == "__main__":
    main()
