"""Options of the ``text-diversity`` and ``text-repetition`` evaluators (pydantic only)."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import Options


class DiversityOptions(Options):
    """How a set of texts is compared."""

    max_hypotheses: int = Field(
        64, ge=2, le=1024, description="self-BLEU scores at most this many texts, drawn with `seed`"
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the self-BLEU draw")
    max_self_bleu: float | None = Field(
        None, ge=0, le=1, description="the set passes when self-BLEU is at most this; omit to only report"
    )


class RepetitionOptions(Options):
    """What counts as repetition within one text."""

    n: int = Field(3, ge=1, le=8, description="n-gram size (word tokens)")
    max_rate: float | None = Field(
        0.5,
        ge=0,
        le=1,
        description="a text passes when its repetition rate is at most this; omit to only report",
    )
