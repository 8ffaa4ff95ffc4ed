"""Options of the ``music-memorization`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class MemorizationOptions(Options):
    """When a piece counts as a copy of a training chorale."""

    max_shared: int = Field(
        16,
        ge=1,
        le=1000,
        description=(
            "a piece is flagged as a copy (passed=false) when one voice shares a run of more than this "
            "many consecutive (interval, length) pairs with any voice of a training chorale"
        ),
    )
