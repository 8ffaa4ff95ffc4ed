"""Options of the ``image-vae`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from aigc.core.sdk import Options
from aigc.plugins.lib.image_options import Base64Png

NUM_LABELS = 10
MAX_SEED = 2**53
MAX_IMAGE_CHARS = 400_000  # base64 of a PNG: far more than any digit needs


class VaeOptions(Options):
    """What to draw, how far from the latent mean, and whether to walk between two latents or
    vary an input image."""

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
    mode: Literal["sample", "interpolate", "vary"] = Field(
        "sample",
        description=(
            "sample: one PNG per sample; interpolate: `steps` PNGs per sample along the great circle "
            "from the sample's latent to a second latent (from `seed_b`, else the sample's own seed); "
            "vary: one PNG per sample near `image`, drawn from the encoder's posterior for it"
        ),
    )
    image: Base64Png | None = Field(
        None,
        max_length=MAX_IMAGE_CHARS,
        description=(
            "vary only: the digit to vary, a base64 PNG (a data:image/png;base64, URL is fine), light "
            "strokes on a dark background like the outputs; reduced to 8x8 by averaging. Needs `label`"
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

    def sample_cost(self) -> int:
        """One decoder pass per image: ``steps`` of them when interpolating."""
        return self.steps if self.mode == "interpolate" else 1

    @model_validator(mode="after")
    def _image_only_when_varying(self) -> VaeOptions:
        if self.mode == "vary" and (self.image is None or self.label is None):
            raise ValueError(
                "mode 'vary' needs both `image` (the digit to vary) and `label` (which digit it is)"
            )
        if self.mode != "vary" and self.image is not None:
            raise ValueError(f"`image` is only used in mode 'vary', not in mode {self.mode!r}")
        return self
