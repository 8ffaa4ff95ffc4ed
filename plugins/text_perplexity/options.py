"""Options of the ``text-perplexity`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class PerplexityOptions(Options):
    """What is scored and when a text passes."""

    condition_on_prompt: bool = Field(
        True,
        description="score the text as a continuation of its prompt (the prompt's own tokens are not scored)",
    )
    max_perplexity: float | None = Field(
        None,
        ge=1.0,
        le=1e6,
        description="a text passes when its perplexity is at most this; omit to report without judging",
    )
