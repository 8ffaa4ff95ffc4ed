"""Options of the set-level image evaluators (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aigc.core.sdk import MAX_SAMPLES, Options

DEFAULT_MIN_SAMPLES = 20


class SetMetricOptions(Options):
    """What every set-level image evaluator asks: which real digits to compare with, and how many
    generated images a meaningful figure needs."""

    reference: Literal["matching-labels", "all"] = Field(
        "matching-labels",
        description=(
            "matching-labels: compare with the real digits of the labels the set shows (a set drawn "
            "with label=3 against real 3s); all: with all ten classes"
        ),
    )
    min_samples: int = Field(
        DEFAULT_MIN_SAMPLES,
        ge=2,
        le=MAX_SAMPLES,
        description="fewest generated images the figure is computed from; smaller sets get an error result",
    )


class FidOptions(SetMetricOptions):
    """Options of ``image-fid``."""

    max_fid: float | None = Field(
        None, ge=0, le=1e6, description="pass when FID is at most this; omit to only measure"
    )


class KidOptions(SetMetricOptions):
    """Options of ``image-kid``."""

    subsets: int = Field(100, ge=1, le=1000, description="random subsets the MMD estimate is averaged over")
    subset_size: int | None = Field(
        None,
        ge=2,
        le=MAX_SAMPLES,
        description="rows drawn from each set per subset; omit for the smallest of 50 and the set sizes",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the subset draws")
    max_kid: float | None = Field(
        None, ge=-1e6, le=1e6, description="pass when KID is at most this; omit to only measure"
    )


class DiversityOptions(SetMetricOptions):
    """Options of ``image-diversity``."""

    min_samples: int = Field(
        2, ge=2, le=MAX_SAMPLES, description="fewest generated images; smaller sets get an error result"
    )
    min_coverage: float | None = Field(
        None,
        ge=0,
        le=1,
        description="for sets drawn without a label: pass when at least this share of the 10 classes appears",
    )
