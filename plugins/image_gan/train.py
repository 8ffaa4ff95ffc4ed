"""Train the conditional DCGAN on the train split: ``python -m aigc.plugins.image_gan.train``.

Seeded and CPU-only (about 2.5 minutes on 2 idle cores). Hinge loss, spectral-norm projection
discriminator, Adam with the two-time-scale learning rates of SN-GAN, and an exponential moving
average (EMA) of the generator's weights, which is what gets saved. Batch-norm statistics of
the EMA generator are recomputed at the end over many samples, because serving runs it in eval
mode. Writes ``checkpoint.pt``: the EMA generator's state dict, its config and the training
record that ``export.py`` copies into the manifest (the discriminator is not kept).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console

from aigc.core.sdk import training_progress, update_ema
from aigc.plugins.image_gan.model import Discriminator, GanConfig, Generator
from aigc.plugins.lib.datasets.digits import DATA_SOURCE, SPLIT_SEED, load_digits_split

PLUGIN_DIR = Path(__file__).resolve().parent
SEED = 7


@torch.no_grad()
def recompute_batch_norm(model: Generator, generator: torch.Generator, samples: int = 8192) -> None:
    """Replace batch-norm running statistics by exact averages over ``samples`` random inputs."""
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the passes below
    model.train()
    for _ in range(samples // 256):
        z = torch.randn(256, model.config.z_dim, generator=generator)
        model(z, torch.randint(0, model.config.num_classes, (256,), generator=generator))
    model.eval()


def train(
    seed: int, steps: int, batch_size: int, out: Path, command: str, console: Console
) -> dict[str, object]:
    """Train, write ``out/checkpoint.pt`` and return the training record."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)
    split = load_digits_split()
    images = torch.from_numpy(split.train_images).unsqueeze(1) * 2 - 1  # tanh range
    labels = torch.from_numpy(split.train_labels)

    config = GanConfig()
    g, d = Generator(config), Discriminator(config)
    ema = copy.deepcopy(g).eval()
    g_opt = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.0, 0.9))
    d_opt = torch.optim.Adam(d.parameters(), lr=4e-4, betas=(0.0, 0.9))

    started = time.perf_counter()
    with training_progress(console) as progress:
        task = progress.add_task("image-gan", total=steps, status="")
        for step in range(1, steps + 1):
            rows = torch.randint(0, len(images), (batch_size,), generator=generator)
            real, real_labels = images[rows], labels[rows]
            z = torch.randn(batch_size, config.z_dim, generator=generator)
            fake_labels = torch.randint(0, config.num_classes, (batch_size,), generator=generator)

            fake = g(z, fake_labels)
            d_loss = (
                F.relu(1 - d(real, real_labels)).mean() + F.relu(1 + d(fake.detach(), fake_labels)).mean()
            )
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()

            g_loss = -d(fake, fake_labels).mean()
            g_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
            update_ema(ema, g, decay=0.999 if step > 500 else 0.0)

            if step % 50 == 0 or step == steps:
                status = f"D {d_loss.item():.3f}  G {g_loss.item():.3f}"
                progress.update(task, completed=step, status=status)
    recompute_batch_norm(ema, generator)
    seconds = time.perf_counter() - started

    record: dict[str, object] = {
        "command": command,
        "seed": seed,
        "split_seed": SPLIT_SEED,
        "data": DATA_SOURCE + "; train split only",
        "hyperparameters": {
            "steps": steps,
            "batch_size": batch_size,
            "loss": "hinge",
            "lr_g": 1e-4,
            "lr_d": 4e-4,
            "adam_betas": [0.0, 0.9],
            "ema_decay": 0.999,
        },
        "torch": str(torch.__version__),
        "threads": torch.get_num_threads(),
        "train_seconds": round(seconds, 1),
        "metrics": {"final_d_loss": round(d_loss.item(), 4), "final_g_loss": round(g_loss.item(), 4)},
    }
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = {"state_dict": ema.state_dict(), "config": asdict(config), "training": record}
    torch.save(checkpoint, out / "checkpoint.pt")
    console.print(f"trained {steps} steps in {seconds:.0f} s -> {out / 'checkpoint.pt'}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=PLUGIN_DIR, help="folder for checkpoint.pt")
    args = parser.parse_args()
    command = " ".join(["python -m aigc.plugins.image_gan.train", *sys.argv[1:]])
    train(args.seed, args.steps, args.batch_size, args.out, command, Console())


if __name__ == "__main__":
    main()
