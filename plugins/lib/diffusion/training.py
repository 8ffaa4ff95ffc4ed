"""What the diffusion trainers share: the learning-rate shape and the record of the DDPM set-up."""

from __future__ import annotations

import math

from aigc.plugins.lib.diffusion.schedule import NUM_TRAIN_TIMESTEPS


def learning_rate_factor(step: int, steps: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 0 at ``steps``."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def ddpm_hyperparameters(
    steps: int,
    batch_size: int,
    lr: float,
    warmup: int,
    ema_decay: float,
    objective: str = "DDPM epsilon prediction, mean squared error",
) -> dict[str, object]:
    """The training record's ``hyperparameters`` common to every DDPM-trained UNet here."""
    return {
        "steps": steps,
        "batch_size": batch_size,
        "objective": objective,
        "schedule": f"cosine (Nichol & Dhariwal 2021), T={NUM_TRAIN_TIMESTEPS}",
        "optimizer": "Adam",
        "lr": lr,
        "lr_schedule": f"linear warm-up {warmup} steps, cosine to 0",
        "ema_decay": ema_decay,
    }
