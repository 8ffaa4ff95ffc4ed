"""The noise schedule and the DDIM update, in numpy (shared by training, export and serving).

Cosine schedule (Nichol & Dhariwal, 2021): ``alpha_bar(t) = f(t) / f(0)`` with
``f(t) = cos(((t / T) + s) / (1 + s) * pi / 2) ** 2``, ``s = 0.008``, and each step's beta capped
at 0.999. Training draws integer timesteps ``0..T-1``; step ``t`` has noise level
``alpha_bar[t]`` (``alpha_bar[0]`` is just below 1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aigc.core.sdk import report_progress

NUM_TRAIN_TIMESTEPS = 1000
COSINE_OFFSET = 0.008
MAX_BETA = 0.999


def cosine_alpha_bar(timesteps: int = NUM_TRAIN_TIMESTEPS) -> np.ndarray:
    """``alpha_bar[t]`` for ``t = 0..timesteps-1`` (float64), the share of signal variance left."""

    def f(t: np.ndarray) -> np.ndarray:
        return np.cos((t / timesteps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * np.pi / 2) ** 2

    steps = np.arange(timesteps + 1, dtype=np.float64)
    betas = np.minimum(1.0 - f(steps[1:]) / f(steps[:-1]), MAX_BETA)
    return np.cumprod(1.0 - betas)


def ddim_timesteps(steps: int, timesteps: int = NUM_TRAIN_TIMESTEPS) -> np.ndarray:
    """``steps`` training timesteps from ``timesteps-1`` down to 0, evenly spaced (int64)."""
    if not 1 <= steps <= timesteps:
        raise ValueError(f"steps must be between 1 and {timesteps}, got {steps}")
    return np.round(np.linspace(timesteps - 1, 0, steps)).astype(np.int64)


def ddim_step(
    x: np.ndarray, eps: np.ndarray, alpha_bar_t: float, alpha_bar_prev: float
) -> tuple[np.ndarray, np.ndarray]:
    """One deterministic DDIM step (eta = 0): ``(x at the previous timestep, predicted x0)``.

    The predicted clean image is clipped to the data range [-1, 1] and the noise re-derived from
    it, which keeps few-step sampling from overshooting (the usual "clip_sample").
    """
    x0 = np.clip((x - np.sqrt(1.0 - alpha_bar_t) * eps) / np.sqrt(alpha_bar_t), -1.0, 1.0)
    eps = (x - np.sqrt(alpha_bar_t) * x0) / np.sqrt(1.0 - alpha_bar_t)
    return np.sqrt(alpha_bar_prev) * x0 + np.sqrt(1.0 - alpha_bar_prev) * eps, x0


def guided_noise(eps: np.ndarray, guidance: float) -> np.ndarray:
    """Classifier-free guidance (Ho & Salimans, 2022) from one UNet batch of ``2B`` rows, the
    conditional half first: ``cond + guidance * (cond - uncond)``; ``B`` rows pass through when
    ``guidance`` is 0 (only the conditional half was run)."""
    if guidance == 0.0:
        return eps
    conditional, unconditional = np.split(eps, 2)
    return conditional + guidance * (conditional - unconditional)


def ddim_sample(
    x: np.ndarray,
    predict_noise: Callable[[np.ndarray, int], np.ndarray],
    steps: int,
    alpha_bar: np.ndarray,
) -> np.ndarray:
    """Run ``steps`` DDIM steps from noise ``x`` with ``predict_noise(x, t)``; returns the final
    predicted clean image (data range [-1, 1], same shape as ``x``). Each step is reported as progress."""
    timesteps = ddim_timesteps(steps)
    x0 = x
    for index, t in enumerate(timesteps):
        eps = predict_noise(x, int(t))
        previous = alpha_bar[timesteps[index + 1]] if index + 1 < len(timesteps) else 1.0
        x, x0 = ddim_step(x, eps, float(alpha_bar[t]), float(previous))
        report_progress(index + 1, len(timesteps))
    return x0
