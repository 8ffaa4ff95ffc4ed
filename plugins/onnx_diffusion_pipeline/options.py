"""Options of the ``onnx-diffusion-pipeline`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from aigc.core.sdk import NAME_PATTERN, Options
from aigc.plugins.lib.image_options import Base64Png

SIZE_STEP = 8  # the VAE's downscaling: pixels per latent
MIN_SIZE, MAX_SIZE = 64, 2048
MAX_STEPS = 150
MAX_NEGATIVE_PROMPT_CHARS = 2000


class PipelineOptions(Options):
    """A registered pipeline (``aigc models add PATH --name N``), the image's size, and how it is sampled."""

    model: str = Field(
        min_length=1,
        max_length=64,
        pattern=NAME_PATTERN,
        description="name of a Stable Diffusion ONNX folder registered with `aigc models add PATH --name N`",
    )
    negative_prompt: str = Field(
        "",
        max_length=MAX_NEGATIVE_PROMPT_CHARS,
        description="what the image should not show (the unconditional half of classifier-free guidance)",
    )
    width: int | None = Field(
        None,
        ge=MIN_SIZE,
        le=MAX_SIZE,
        description="pixels, a multiple of 8 (the model may need a larger multiple); omit for the model's "
        "own size, or the input image's with `image`",
    )
    height: int | None = Field(
        None,
        ge=MIN_SIZE,
        le=MAX_SIZE,
        description="pixels, a multiple of 8 (the model may need a larger multiple); omit for the model's "
        "own size, or the input image's with `image`",
    )
    steps: int = Field(25, ge=1, le=MAX_STEPS, description="denoising steps, one UNet call each")
    guidance_scale: float = Field(
        7.5,
        ge=0.0,
        le=30.0,
        description="classifier-free guidance: noise = uncond + g * (cond - uncond); above 1 the prompt "
        "and the negative prompt go through the UNet together (twice the batch), 1 or less uses the "
        "prompt alone",
    )
    sampler: Literal["ddim", "euler"] | None = Field(
        None,
        description="ddim or euler (discrete), with the folder's scheduler settings; omit for the "
        "folder's own scheduler (euler for an Euler export, else ddim)",
    )
    image: Base64Png | None = Field(
        None,
        max_length=16_000_000,
        description="image-to-image: a base64 PNG to start from (needs the folder's vae_encoder)",
    )
    strength: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="image-to-image only: how much of the schedule to run from the noised image; 1 "
        "ignores the image's content, small values keep it",
    )

    def sample_cost(self) -> int:
        """One UNet call per denoising step (with guidance, the two halves go in one call)."""
        return self.steps

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_eight(cls, size: int | None) -> int | None:
        if size is not None and size % SIZE_STEP:
            raise ValueError(f"must be a multiple of {SIZE_STEP}, got {size}")
        return size

    @model_validator(mode="after")
    def _strength_only_with_an_image(self) -> PipelineOptions:
        if self.image is None and "strength" in self.model_fields_set:
            raise ValueError("`strength` is only used with `image` (image-to-image)")
        return self
