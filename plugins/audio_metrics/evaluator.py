"""The ``audio-metrics`` evaluator: loudness, peaks, clipping, silence and speaking rate per file."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import EvalItem, EvalResult, decode_audio
from aigc.plugins.audio_metrics.measures import clipping_rate, integrated_loudness, silence, true_peak_db
from aigc.plugins.audio_metrics.options import AudioMetricsOptions

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def _at_most(value: float, limit: float | None) -> bool | None:
    return None if limit is None else value <= limit


def speaking_rate(words: int, active_seconds: float, options: AudioMetricsOptions) -> EvalResult:
    """Words per minute over the sounding span; score 1 inside the range, falling off outside."""
    if active_seconds <= 0:
        return EvalResult(metric="speaking_rate", passed=False, reason="no sound to time the words by")
    wpm = words / active_seconds * 60.0
    score = min(1.0, wpm / options.min_wpm, options.max_wpm / wpm)
    return EvalResult(
        metric="speaking_rate",
        score=score,
        value=wpm,
        passed=options.min_wpm <= wpm <= options.max_wpm,
        reason=f"{words} words in {active_seconds:.2f} s: {wpm:.0f} words per minute "
        f"(range {options.min_wpm:g}-{options.max_wpm:g})",
    )


def loudness_result(samples: np.ndarray, rate: int, options: AudioMetricsOptions) -> EvalResult:
    """Integrated loudness (LUFS); with a target, score falls by 1/20 per LU away from it."""
    lufs = integrated_loudness(samples, rate)
    if lufs is None:
        return EvalResult(metric="loudness", passed=False, reason="too short (< 0.4 s) or silent to measure")
    if options.target_lufs is None:
        return EvalResult(metric="loudness", value=lufs, reason=f"{lufs:.1f} LUFS")
    distance = abs(lufs - options.target_lufs)
    return EvalResult(
        metric="loudness",
        score=max(0.0, 1.0 - distance / 20.0),
        value=lufs,
        passed=distance <= options.lufs_tolerance,
        reason=f"{lufs:.1f} LUFS (target {options.target_lufs:g} ± {options.lufs_tolerance:g})",
    )


def measure(
    samples: np.ndarray, rate: int, words: int | None, options: AudioMetricsOptions
) -> list[EvalResult]:
    """Every metric of one file (``words``: the prompt's word count, for speaking rate)."""
    quiet = silence(samples, rate, options.silence_threshold_db)
    peak = true_peak_db(samples)
    clipped = clipping_rate(samples, options.clip_level)
    results = [
        EvalResult(metric="duration", value=quiet.seconds, reason=f"{quiet.seconds:.2f} s at {rate} Hz"),
        loudness_result(samples, rate, options),
        EvalResult(
            metric="true_peak",
            value=peak,
            passed=_at_most(peak, options.max_true_peak_db),
            reason=f"{peak:.2f} dBTP",
        ),
        EvalResult(
            metric="clipping",
            score=1.0 - clipped,
            value=clipped,
            passed=_at_most(clipped, options.max_clipping),
            reason=f"{clipped:.2%} of samples in flat runs at {options.clip_level:g} of full scale",
        ),
        EvalResult(
            metric="internal_silence",
            score=1.0 - quiet.internal,
            value=quiet.internal,
            passed=_at_most(quiet.internal, options.max_internal_silence),
            reason=f"{quiet.internal:.1%} silent between the first and last sound",
            details={"leading": quiet.leading, "trailing": quiet.trailing},
        ),
        EvalResult(
            metric="leading_silence", value=quiet.leading, reason=f"{quiet.leading * quiet.seconds:.2f} s"
        ),
        EvalResult(
            metric="trailing_silence", value=quiet.trailing, reason=f"{quiet.trailing * quiet.seconds:.2f} s"
        ),
    ]
    if words:
        results.append(speaking_rate(words, quiet.active_seconds, options))
    return results


class AudioMetricsEvaluator:
    """Decodes each audio artifact and measures it."""

    def evaluate(self, items: Sequence[EvalItem], options: AudioMetricsOptions) -> list[list[EvalResult]]:
        results = []
        for item in items:
            rate = item.artifact.metadata.get("sample_rate")
            try:
                samples, rate = decode_audio(item.artifact.payload, item.artifact.media_type, rate=rate)
            except (ValueError, RuntimeError) as error:
                results.append([EvalResult(metric="duration", error=f"cannot decode the audio: {error}")])
                continue
            words = len(_WORD.findall(item.prompt)) if item.prompt else None
            results.append(measure(samples, int(rate), words, options))
        return results
