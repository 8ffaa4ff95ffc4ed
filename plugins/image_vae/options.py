"""Options of the ``image-vae`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aigc.core.specs import Options

NUM_LABELS = 10
MAX_SEED = 2**53


class VaeOptions(Options):
    """What to draw, how far from the latent mean, and whether to walk between two latents."""

    label: int | None = Field(
        None,
        ge=0,
        le=NUM_LABELS - 1,
        description="digit to draw, 0-9; omit for a random digit per sample (drawn from the sample's seed)",
    )
    temperature: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description=(
            "latent scale: z = temperature * N(0, I); 1 samples the trained prior. 0 gives one mean "
            "digit per label; higher gives more varied and less typical digits"
        ),
    )
    mode: Literal["sample", "interpolate"] = Field(
        "sample",
        description=(
            "sample: one PNG per sample; interpolate: `steps` PNGs per sample along the great circle "
            "from the sample's latent to a second latent (from `seed_b`, else the sample's own seed)"
        ),
    )
    seed_b: int | None = Field(
        None,
        ge=0,
        le=MAX_SEED,
        description="interpolate only: seed of the end latent; omit to draw it from the sample's seed",
    )
    steps: int = Field(
        8, ge=2, le=32, description="interpolate only: images along the path, both ends included"
    )
    scale: int = Field(8, ge=1, le=32, description="PNG pixels per source pixel (8 gives 64x64 from 8x8)")
