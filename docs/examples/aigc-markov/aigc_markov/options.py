"""Options of ``markov``: every field has limits and a description."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class MarkovOptions(Options):
    """How many words, and how adventurous the walk is."""

    words: int = Field(20, ge=1, le=500, description="words to generate after the prompt")
    temperature: float = Field(
        1.0, ge=0.0, le=3.0, description="divides the log-probabilities; 0 always takes the likeliest word"
    )
