"""Options of the ``image-gan`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options

NUM_LABELS = 10


class GanOptions(Options):
    """What to draw and how large to render it."""

    label: int | None = Field(
        None,
        ge=0,
        le=NUM_LABELS - 1,
        description="digit to draw, 0-9; omit for a random digit per sample (drawn from the sample's seed)",
    )
    truncation: float = Field(
        2.0,
        ge=0.1,
        le=4.0,
        description=(
            "truncation trick: latent components with |z| above this are redrawn. Lower gives cleaner, "
            "more typical digits with less variety; 2.0 redraws under 5% of components, 4.0 almost none"
        ),
    )
    scale: int = Field(8, ge=1, le=32, description="PNG pixels per source pixel (8 gives 64x64 from 8x8)")
