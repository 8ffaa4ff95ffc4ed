"""Options of the ``image-text-diffusion`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options
from aigc.plugins.lib.diffusion.options import ddim_steps_field

MAX_PROMPT_CHARS = 1000


class TextDiffusionOptions(Options):
    """How many denoising steps to take, how strongly to follow the prompt and what to steer away from."""

    steps: int = ddim_steps_field()
    guidance_scale: float = Field(
        3.0,
        ge=0.0,
        le=20.0,
        description=(
            "classifier-free guidance w: noise = cond + w * (cond - uncond). 0 is the plain conditional "
            "model (one UNet batch of B rows per step); above 0 runs conditional and unconditional rows "
            "as one batch of 2B and follows the prompt more strictly, with less variety"
        ),
    )
    negative_prompt: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        description="text to steer away from: its embedding replaces the null text in guidance",
    )
    scale: int = Field(2, ge=1, le=16, description="PNG pixels per source pixel (2 gives 64x64 from 32x32)")

    def sample_cost(self) -> int:
        """One UNet call per denoising step."""
        return self.steps
