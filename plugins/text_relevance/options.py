"""Options of the ``text-relevance`` evaluator (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class RelevanceOptions(Options):
    """When an output counts as relevant to its prompt."""

    min_similarity: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="a text passes when its cosine similarity to the prompt is at least this",
    )
