"""Options of the ``image-class-match`` evaluator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class ClassMatchOptions(Options):
    """When a digit counts as the requested one."""

    threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "an image passes when the classifier's top class is the requested label and its "
            "probability is at least this"
        ),
    )
