"""Option fields shared by the diffusion generators (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

MIN_STEPS = 5
MAX_STEPS = 250


def ddim_steps_field() -> Any:
    """The ``steps`` field: DDIM denoising steps, 25 by default, ``MIN_STEPS``-``MAX_STEPS``."""
    return Field(
        25,
        ge=MIN_STEPS,
        le=MAX_STEPS,
        description="DDIM denoising steps, one UNet call each: more is slower and nearer the trained model",
    )
