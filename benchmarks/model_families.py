"""Compare the image model families on the 8x8 digits: GAN, VAE and diffusion (several step counts).

    python benchmarks/model_families.py [--per-label 36] [--diffusion-steps 5 10 25 50] [--guidance 0 0.25 1]
        [--threads 2] [--skip-speed]

Quality, on the committed models and the committed ``image-class-match`` classifier:

- accuracy: share of labelled samples (``--per-label`` per digit, seeds ``label*1000 + i``) whose
  top class is the requested label;
- FID and KID on the classifier's 128-d ``features`` (``plugins/image_metrics/metrics.py``). The
  held-out split (360 digits) is cut into two class-stratified halves A and B of 180; the reference
  line is real-vs-real FID(A, B); a model's FID is the mean of FID(G1, A) and FID(G2, B), where G1
  and G2 are halves of its 360 labelled samples, so every FID compares 180 with 180 (FID is biased
  by the sample size: only equal sizes are comparable). KID likewise, 50 subsets of 100 rows;
- diversity: mean pairwise feature distance within each class (averaged over classes), and the
  share of classes predicted among 100 samples generated without a label.

Speed: images/s through the plugin's ``generate`` (PNGs at scale 8, as the engine calls it) and
through torch eager (the networks only, on ready-made tensors; for diffusion every DDIM step, with
the guided batch doubled) at batch 1 and 64, one process, ``--threads`` threads for both. Each
figure is the median of 7 timed repetitions of at least 0.2 s. Model size: the served ONNX files.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

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
    call()
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            call()
        if time.perf_counter() - started >= MIN_REPETITION_SECONDS:
            break
        calls *= 2
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

    from aigc.core.runtime import ModelRuntime
    from aigc.plugins import image_diffusion, image_gan, image_vae
    from aigc.plugins.image_diffusion.export import load_unet
    from aigc.plugins.image_diffusion.options import DiffusionOptions
    from aigc.plugins.image_diffusion.schedule import cosine_alpha_bar, ddim_timesteps
    from aigc.plugins.image_gan.export import load_generator
    from aigc.plugins.image_gan.options import GanOptions
    from aigc.plugins.image_vae.export import load_vae
    from aigc.plugins.image_vae.options import VaeOptions

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
            image_gan.build_generator(runtime),
            lambda **kw: GanOptions(scale=kw.pop("scale", 1), **kw),
            latent_call(gan_torch, gan_torch.config.z_dim),
            size(image_gan, "generator.onnx"),
        ),
        Family(
            "VAE (temperature 1.0)",
            image_vae.build_generator(runtime),
            lambda **kw: VaeOptions(scale=kw.pop("scale", 1), **kw),
            latent_call(vae_torch, vae_torch.config.z_dim),
            size(image_vae, "decoder.onnx"),
        ),
    ]
    diffusion = image_diffusion.build_generator(runtime)
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


def classify_pngs(evaluator: Any, outputs: list[list[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, features) of the first artifact of each sample."""
    from aigc.core.images import decode_png

    images = np.stack([decode_png(out[0].data, shape=(8, 8)) for out in outputs])
    return evaluator.classify(images)


def stratified_halves(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of two halves with (as near as possible) the same count of each class."""
    first, second = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        first.extend(rows[: len(rows) // 2])
        second.extend(rows[len(rows) // 2 :])
    return np.array(first[: len(labels) // 2]), np.array(second[: len(labels) // 2])


def quality(
    family: Family | None, evaluator: Any, real: np.ndarray, real_labels: np.ndarray, per_label: int
) -> dict[str, float]:
    """Accuracy, FID, KID and diversity of a family (``None``: the real-vs-real reference)."""
    from aigc.core.specs import GeneratorInput
    from aigc.plugins.image_metrics.metrics import diversity, frechet_distance, kernel_inception_distance

    rng = np.random.default_rng(0)
    half_a, half_b = stratified_halves(real_labels, np.random.default_rng(1))
    if family is None:
        first, second, labels, accuracy = real[half_a], real[half_b], real_labels, float("nan")
        generated, coverage = real, diversity(real, real_labels).class_coverage
        pairs = [(first, second)]
    else:
        labels = np.repeat(np.arange(10), per_label)
        seeds = [label * 1000 + i for label in range(10) for i in range(per_label)]
        outputs = []
        for label in range(10):
            chunk = seeds[label * per_label : (label + 1) * per_label]
            outputs += family.generator.generate(
                [GeneratorInput()] * len(chunk), family.options(label=label), chunk
            )
        probabilities, generated = classify_pngs(evaluator, outputs)
        accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
        gen_a, gen_b = stratified_halves(labels, np.random.default_rng(2))
        pairs = [(generated[gen_a], real[half_a]), (generated[gen_b], real[half_b])]
        free_seeds = list(range(500_000, 500_000 + UNLABELLED_SAMPLES))
        free = family.generator.generate(
            [GeneratorInput()] * UNLABELLED_SAMPLES, family.options(), free_seeds
        )
        free_probabilities, free_features = classify_pngs(evaluator, free)
        coverage = diversity(free_features, free_probabilities.argmax(axis=1)).class_coverage
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-label", type=int, default=36, help="labelled samples per digit (even)")
    parser.add_argument("--diffusion-steps", type=int, nargs="+", default=[5, 10, 25, 50])
    parser.add_argument("--guidance", type=float, nargs="+", default=[0.0, 0.25, 1.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    os.environ["AIGC_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)

    from aigc.core.runtime import ModelRuntime
    from aigc.plugins.datasets.digits import load_digits_split
    from aigc.plugins.image_class_match import build_evaluator

    evaluator = build_evaluator(ModelRuntime(device="cpu"))
    split = load_digits_split()
    _, real = evaluator.classify(split.held_out_images)
    families = build_families(args.diffusion_steps, args.guidance)

    header = "| model | accuracy | FID | KID | within-class dist. | classes (no label) |"
    speed_header = " aigc img/s b1 | b64 | torch img/s b1 | b64 | ONNX bytes |"
    print(header + ("" if args.skip_speed else speed_header))
    print("|---" * (6 if args.skip_speed else 11) + "|")
    rows: list[tuple[str, Family | None]] = [("real held-out A vs B (reference)", None)]
    rows += [(f.name, f) for f in families]
    for name, family in rows:
        q = quality(family, evaluator, real, split.held_out_labels, args.per_label)
        accuracy = "—" if np.isnan(q["accuracy"]) else f"{q['accuracy']:.2%}"
        line = (
            f"| {name} | {accuracy} | {q['fid']:.2f} | {q['kid']:.4f} | "
            f"{q['within_class_distance']:.2f} | {q['coverage']:.0%} |"
        )
        if not args.skip_speed:
            if family is None:
                line += " — | — | — | — | — |"
            else:
                s = speed(family, args.threads)
                line += (
                    f" {s['aigc_1']:,.0f} | {s['aigc_64']:,.0f} | {s.get('torch_1', 0):,.0f} | "
                    f"{s.get('torch_64', 0):,.0f} | {family.onnx_bytes:,} |"
                )
        print(line, flush=True)


if __name__ == "__main__":
    main()
