"""Options of the ``music-metrics`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class MusicMetricsOptions(Options):
    """When a piece passes the voice-leading check."""

    max_parallels: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description=(
            "a piece passes voice leading when it has at most this many parallel fifths plus "
            "octaves; omit to report without judging"
        ),
    )
