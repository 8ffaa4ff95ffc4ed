"""Options of the ``image-diffusion`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options
from aigc.plugins.lib.diffusion.options import ddim_steps_field

NUM_LABELS = 10


class DiffusionOptions(Options):
    """What to draw, how many denoising steps to take and how strongly to follow the label."""

    label: int | None = Field(
        None,
        ge=0,
        le=NUM_LABELS - 1,
        description="digit to draw, 0-9; omit for a random digit per sample (drawn from the sample's seed)",
    )
    steps: int = ddim_steps_field()
    guidance_scale: float = Field(
        0.25,
        ge=0.0,
        le=10.0,
        description=(
            "classifier-free guidance w: noise = cond + w * (cond - uncond). 0 is the plain conditional "
            "model (one UNet batch of B rows per step); above 0 doubles the batch and follows the label "
            "more strictly, with less variety"
        ),
    )
    scale: int = Field(8, ge=1, le=32, description="PNG pixels per source pixel (8 gives 64x64 from 8x8)")

    def sample_cost(self) -> int:
        """One UNet call per denoising step."""
        return self.steps
