"""Train the conditional UNet with the DDPM objective: ``python -m aigc.plugins.image_diffusion.train``.

Seeded, deterministic and CPU-only. Each step draws training images (scaled to [-1, 1]), integer
timesteps uniformly from ``0..T-1`` and Gaussian noise, noises the images with the cosine
schedule (``schedule.py``) and regresses the noise (mean squared error, the "simple" DDPM loss).
For classifier-free guidance each label is replaced by the null label with probability
``label_dropout``, so the same network also learns the unconditional model. Adam with a short
linear warm-up and cosine decay; the shipped weights are an exponential moving average (EMA)
of the trained ones. Writes ``checkpoint.pt``: the EMA state dict, the config and the training
record that ``export.py`` copies into the manifest.
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
from aigc.plugins.image_diffusion.model import ConditionalUnet, UnetConfig
from aigc.plugins.lib.datasets.digits import DATA_SOURCE, SPLIT_SEED, load_digits_split
from aigc.plugins.lib.diffusion.schedule import NUM_TRAIN_TIMESTEPS, cosine_alpha_bar
from aigc.plugins.lib.diffusion.training import ddpm_hyperparameters, learning_rate_factor

PLUGIN_DIR = Path(__file__).resolve().parent
SEED = 5
LEARNING_RATE = 2e-3
WARMUP_STEPS = 200
EMA_DECAY = 0.999


def train(
    seed: int,
    steps: int,
    batch_size: int,
    label_dropout: float,
    threads: int,
    out: Path,
    command: str,
    console: Console,
) -> dict[str, object]:
    """Train, write ``out/checkpoint.pt`` and return the training record."""
    # One thread by default: this small network trains faster on one core than on two busy ones.
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)
    split = load_digits_split()
    images = torch.from_numpy(split.train_images).unsqueeze(1) * 2 - 1
    labels = torch.from_numpy(split.train_labels)
    alpha_bar = torch.from_numpy(cosine_alpha_bar()).to(torch.float32)

    config = UnetConfig()
    model = ConditionalUnet(config)
    ema = copy.deepcopy(model).eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, steps, WARMUP_STEPS)
    )

    started = time.perf_counter()
    running = 0.0
    with training_progress(console) as progress:
        task = progress.add_task("image-diffusion", total=steps, status="")
        model.train()
        for step in range(1, steps + 1):
            rows = torch.randint(0, len(images), (batch_size,), generator=generator)
            clean, label = images[rows], labels[rows].clone()
            dropped = torch.rand(batch_size, generator=generator) < label_dropout
            label[dropped] = config.num_classes  # the null label
            t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (batch_size,), generator=generator)
            noise = torch.randn(clean.shape, generator=generator)
            a = alpha_bar[t][:, None, None, None]
            noisy = a.sqrt() * clean + (1 - a).sqrt() * noise
            loss = F.mse_loss(model(noisy, t, label), noise)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            update_ema(ema, model, decay=EMA_DECAY if step > WARMUP_STEPS else 0.0)
            running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
            if step % 50 == 0 or step == steps:
                progress.update(task, completed=step, status=f"loss {running:.4f}")
    seconds = time.perf_counter() - started

    record: dict[str, object] = {
        "command": command,
        "seed": seed,
        "split_seed": SPLIT_SEED,
        "data": DATA_SOURCE + "; train split only",
        "hyperparameters": {
            **ddpm_hyperparameters(steps, batch_size, LEARNING_RATE, WARMUP_STEPS, EMA_DECAY),
            "label_dropout": label_dropout,
        },
        "torch": str(torch.__version__),
        "threads": torch.get_num_threads(),
        "train_seconds": round(seconds, 1),
        "metrics": {"final_loss_smoothed": round(running, 4)},
    }
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = {"state_dict": ema.state_dict(), "config": asdict(config), "training": record}
    torch.save(checkpoint, out / "checkpoint.pt")
    console.print(f"trained {steps} steps in {seconds:.0f} s -> {out / 'checkpoint.pt'}; loss {running:.4f}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--label-dropout", type=float, default=0.1, help="share of labels set to null")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--out", type=Path, default=PLUGIN_DIR, help="folder for checkpoint.pt")
    args = parser.parse_args()
    command = " ".join(["python -m aigc.plugins.image_diffusion.train", *sys.argv[1:]])
    train(
        args.seed,
        args.steps,
        args.batch_size,
        args.label_dropout,
        args.threads,
        args.out,
        command,
        Console(),
    )


if __name__ == "__main__":
    main()
