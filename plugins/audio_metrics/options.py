"""Options of the ``audio-metrics`` evaluator (pydantic only). Limits left unset give no verdict:
the value is still measured and stored, and a policy may threshold it."""

from __future__ import annotations

from pydantic import Field, model_validator

from aigc.core.sdk import Options


class AudioMetricsOptions(Options):
    """The ranges a sound must fall in to pass, and how silence and clipping are detected."""

    min_wpm: float = Field(
        100.0, ge=10.0, le=600.0, description="slowest passing speaking rate, words per minute"
    )
    max_wpm: float = Field(
        220.0, ge=10.0, le=600.0, description="fastest passing speaking rate, words per minute"
    )
    target_lufs: float | None = Field(
        None,
        ge=-70.0,
        le=0.0,
        description="loudness to aim at (LUFS), e.g. -23 (EBU R128); unset: no verdict",
    )
    lufs_tolerance: float = Field(2.0, ge=0.0, le=30.0, description="allowed distance from target_lufs (LU)")
    max_true_peak_db: float | None = Field(
        None, ge=-60.0, le=6.0, description="highest passing true peak (dBTP), e.g. -1; unset: no verdict"
    )
    max_clipping: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="highest passing fraction of clipped samples, e.g. 0",
    )
    clip_level: float = Field(
        0.999,
        ge=0.5,
        le=1.0,
        description="fraction of full scale where a run of samples counts as clipped",
    )
    silence_threshold_db: float = Field(
        -50.0, ge=-100.0, le=-10.0, description="10 ms frames quieter than this RMS (dBFS) are silent"
    )
    max_internal_silence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="highest passing fraction of silence between first and last sound",
    )

    @model_validator(mode="after")
    def _rate_range(self) -> AudioMetricsOptions:
        if self.min_wpm > self.max_wpm:
            raise ValueError(f"min_wpm ({self.min_wpm:g}) must not exceed max_wpm ({self.max_wpm:g})")
        return self
