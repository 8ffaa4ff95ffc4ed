"""DDIM and Euler (discrete) sampling in numpy, driven by a pipeline's ``scheduler_config.json``.

The maths follow diffusers' ``DDIMScheduler`` (eta 0: no noise after the start) and
``EulerDiscreteScheduler`` (no churn, linear sigma interpolation, last sigma 0), so the same
config, model outputs and starting latents give the same latents. Settings these samplers do not
implement (Karras sigmas, thresholding, zero-SNR rescaling, ...) are refused by name rather than
ignored.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aigc.core.sdk import PluginLoadError

SamplerName = Literal["ddim", "euler"]
UNSUPPORTED = {
    "thresholding": False,
    "rescale_betas_zero_snr": False,
    "use_karras_sigmas": False,
    "use_exponential_sigmas": False,
    "use_beta_sigmas": False,
    "interpolation_type": "linear",
    "final_sigmas_type": "zero",
    "timestep_type": "discrete",
}


class SchedulerConfig(BaseModel):
    """The settings of ``scheduler/scheduler_config.json`` that the samplers read (diffusers' defaults)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    class_name: str = Field("DDIMScheduler", alias="_class_name")
    num_train_timesteps: int = Field(1000, ge=1)
    beta_start: float = 0.0001
    beta_end: float = 0.02
    beta_schedule: Literal["linear", "scaled_linear"] = "linear"
    trained_betas: list[float] | None = None
    prediction_type: Literal["epsilon", "v_prediction"] = "epsilon"
    timestep_spacing: Literal["leading", "trailing", "linspace"] | None = None  # default: the sampler's
    steps_offset: int = 0
    set_alpha_to_one: bool = True
    clip_sample: bool = True
    clip_sample_range: float = 1.0

    @classmethod
    def read(cls, settings: dict[str, Any]) -> SchedulerConfig:
        """The config of ``scheduler_config.json``'s ``settings``; ``PluginLoadError`` naming a
        setting that is invalid or whose value these samplers do not implement."""
        try:
            config = cls.model_validate(settings)
        except ValidationError as error:
            problem = error.errors()[0]
            key = ".".join(str(part) for part in problem["loc"])
            raise PluginLoadError(f"scheduler_config.json: {key}: {problem['msg']}") from None
        for key, supported in UNSUPPORTED.items():
            if settings.get(key, supported) != supported:
                raise PluginLoadError(
                    f"scheduler_config.json sets {key}={settings[key]!r}; aigc's samplers support "
                    f"{key}={supported!r} only"
                )
        return config

    def default_sampler(self) -> SamplerName:
        """``euler`` for a folder exported with an Euler scheduler, else ``ddim``."""
        return "euler" if self.class_name.startswith("EulerDiscrete") else "ddim"

    def alphas_cumprod(self) -> np.ndarray:
        """The cumulative products of ``1 - beta`` over the training timesteps (float32, as diffusers)."""
        count = self.num_train_timesteps
        if self.trained_betas is not None:
            betas = np.asarray(self.trained_betas, dtype=np.float32)
        elif self.beta_schedule == "linear":
            betas = np.linspace(self.beta_start, self.beta_end, count, dtype=np.float32)
        else:
            betas = np.linspace(self.beta_start**0.5, self.beta_end**0.5, count, dtype=np.float32) ** 2
        return np.cumprod(1.0 - betas, dtype=np.float32)


def spaced_timesteps(config: SchedulerConfig, steps: int, spacing: str) -> np.ndarray:
    """The ``steps`` training timesteps to visit, noisiest first (float64), by ``spacing``."""
    count = config.num_train_timesteps
    if not 1 <= steps <= count:
        raise ValueError(f"steps must be between 1 and the {count} training timesteps, got {steps}")
    if spacing == "linspace":
        return np.linspace(0, count - 1, steps, dtype=np.float32)[::-1].astype(np.float64)
    if spacing == "leading":
        return (np.arange(0, steps) * (count // steps)).round()[::-1].astype(np.float64) + config.steps_offset
    return np.round(np.arange(count, 0, -count / steps)).astype(np.float64) - 1


class DDIMSampler:
    """diffusers' ``DDIMScheduler`` with eta 0 (``leading`` timesteps unless the config says)."""

    def __init__(self, config: SchedulerConfig, steps: int) -> None:
        self.config = config
        self.alphas_cumprod = config.alphas_cumprod()
        self.final_alpha_cumprod = 1.0 if config.set_alpha_to_one else float(self.alphas_cumprod[0])
        spacing = config.timestep_spacing or "leading"
        self.timesteps = np.round(spaced_timesteps(config, steps, spacing)).astype(np.int64)
        self.stride = config.num_train_timesteps // steps
        self.init_noise_sigma = 1.0

    def scale_model_input(self, sample: np.ndarray, index: int) -> np.ndarray:
        """DDIM feeds the latents to the UNet as they are."""
        return sample

    def add_noise(self, original: np.ndarray, noise: np.ndarray, index: int) -> np.ndarray:
        """``original`` noised to the level of step ``index`` (the start of image-to-image)."""
        alpha = float(self.alphas_cumprod[self.timesteps[index]])
        return np.float32(alpha**0.5) * original + np.float32((1.0 - alpha) ** 0.5) * noise

    def step(self, output: np.ndarray, index: int, sample: np.ndarray) -> np.ndarray:
        """The latents after step ``index``, from the UNet's ``output`` at those latents."""
        timestep = int(self.timesteps[index])
        previous = timestep - self.stride
        alpha = np.float32(self.alphas_cumprod[timestep])
        alpha_prev = np.float32(self.alphas_cumprod[previous] if previous >= 0 else self.final_alpha_cumprod)
        beta = np.float32(1.0) - alpha
        if self.config.prediction_type == "epsilon":
            original = (sample - beta**0.5 * output) / alpha**0.5
            epsilon = output
        else:  # v_prediction
            original = alpha**0.5 * sample - beta**0.5 * output
            epsilon = alpha**0.5 * output + beta**0.5 * sample
        if self.config.clip_sample:
            limit = self.config.clip_sample_range
            original = np.clip(original, -limit, limit)
        result: np.ndarray = alpha_prev**0.5 * original + (np.float32(1.0) - alpha_prev) ** 0.5 * epsilon
        return result


class EulerSampler:
    """diffusers' ``EulerDiscreteScheduler`` without churn (deterministic), sigmas interpolated
    linearly between training timesteps, the last sigma 0 (``linspace`` timesteps unless the config says)."""

    def __init__(self, config: SchedulerConfig, steps: int) -> None:
        self.config = config
        alphas_cumprod = config.alphas_cumprod()
        train_sigmas = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
        spacing = config.timestep_spacing or "linspace"
        self.timesteps = spaced_timesteps(config, steps, spacing).astype(np.float32)
        sigmas = np.interp(self.timesteps, np.arange(0, len(train_sigmas)), train_sigmas)
        self.sigmas = np.concatenate([sigmas, [0.0]]).astype(np.float32)
        peak = float(self.sigmas.max())
        spread = spacing in ("linspace", "trailing")
        self.init_noise_sigma = peak if spread else (peak**2 + 1) ** 0.5

    def scale_model_input(self, sample: np.ndarray, index: int) -> np.ndarray:
        """The latents scaled to unit variance for the UNet at step ``index``."""
        sigma = self.sigmas[index]
        scaled: np.ndarray = sample / ((sigma**2 + 1) ** 0.5)
        return scaled

    def add_noise(self, original: np.ndarray, noise: np.ndarray, index: int) -> np.ndarray:
        """``original`` noised to the level of step ``index`` (the start of image-to-image)."""
        result: np.ndarray = original + noise * self.sigmas[index]
        return result

    def step(self, output: np.ndarray, index: int, sample: np.ndarray) -> np.ndarray:
        """The latents after step ``index``, from the UNet's ``output`` at the scaled latents."""
        sigma, following = self.sigmas[index], self.sigmas[index + 1]
        sample = sample.astype(np.float32)
        if self.config.prediction_type == "epsilon":
            original = sample - sigma * output
        else:  # v_prediction
            original = output * (-sigma / (sigma**2 + 1) ** 0.5) + sample / (sigma**2 + 1)
        derivative = (sample - original) / sigma
        result: np.ndarray = sample + derivative * (following - sigma)
        return result


Sampler = DDIMSampler | EulerSampler


def sampler(name: SamplerName, config: SchedulerConfig, steps: int) -> Sampler:
    """The sampler ``name`` over ``steps`` steps of ``config``'s schedule."""
    return DDIMSampler(config, steps) if name == "ddim" else EulerSampler(config, steps)


def strength_start(steps: int, strength: float) -> int:
    """The first of ``steps`` that image-to-image runs: it skips the noisiest ``1 - strength`` of
    them, as diffusers' ``StableDiffusionImg2ImgPipeline`` does."""
    return steps - min(int(steps * strength), steps)
