"""Options of the ``image-memorization`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class ImageMemorizationOptions(Options):
    """When an image counts as a near-copy of a training image."""

    max_copy_distance: float = Field(
        0.03,
        ge=0.0,
        le=1.0,
        description=(
            "an image is flagged as a near-copy (passed=false) when the RMS pixel distance (0-1, on 16x16 "
            "RGB) to its nearest training image is at most this"
        ),
    )
