"""Options of the ``text-memorization`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class MemorizationOptions(Options):
    """When copied text fails a sample."""

    max_span: int = Field(
        50,
        ge=8,
        le=10_000,
        description="a text fails when it repeats this many word tokens of the corpus verbatim",
    )
    max_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="a text also fails when more of its 8-grams than this occur in the corpus",
    )
