"""The ``music-metrics`` evaluator: MusPy-style measures of a MIDI artifact (numpy and mido only).

One result per metric: ``value`` is the raw measure, ``score`` (where one is meaningful) maps it
to [0, 1] with higher = more chorale-like. A file without pitched (non-drum) notes gets the same
metrics with no value, ``passed=False`` and a reason that says so, a measure that is undefined (the
measures of time of a piece of zero length) has no value and a reason; an unreadable file gets
``error``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aigc.core.sdk import EvalItem, EvalResult, Note, read_midi
from aigc.plugins.music_metrics.metrics import (
    empty_beat_rate,
    parallel_fifths_and_octaves,
    pitch_class_entropy,
    pitch_range,
    pitched,
    polyphony_rate,
    scale_consistency,
)
from aigc.plugins.music_metrics.options import MusicMetricsOptions

METRICS = (
    "pitch_class_entropy",
    "scale_consistency",
    "empty_beat_rate",
    "polyphony_rate",
    "pitch_range",
    "parallel_fifths",
    "parallel_octaves",
)


def measure(notes: Sequence[Note]) -> dict[str, float]:
    """Every metric of ``METRICS`` for notes with at least one pitched note."""
    fifths, octaves = parallel_fifths_and_octaves(notes)
    return {
        "pitch_class_entropy": pitch_class_entropy(notes),
        "scale_consistency": scale_consistency(notes),
        "empty_beat_rate": empty_beat_rate(notes),
        "polyphony_rate": polyphony_rate(notes),
        "pitch_range": float(pitch_range(notes)),
        "parallel_fifths": float(fifths),
        "parallel_octaves": float(octaves),
    }


def score(metric: str, value: float) -> float | None:
    """A [0, 1] score for metrics with an obvious direction; None for the purely descriptive ones."""
    if metric == "pitch_class_entropy":
        return 1.0 - value / math.log2(12)  # tonal music uses few pitch classes
    if metric in ("scale_consistency", "polyphony_rate"):
        return value
    if metric == "empty_beat_rate":
        return 1.0 - value
    return None


class MusicMetricsEvaluator:
    """Scores MIDI artifacts with ``measure``."""

    def evaluate(self, items: Sequence[EvalItem], options: MusicMetricsOptions) -> list[list[EvalResult]]:
        """One result per metric per item."""
        return [self._evaluate(item.artifact.payload, options) for item in items]

    def _evaluate(self, data: bytes, options: MusicMetricsOptions) -> list[EvalResult]:
        try:
            notes, _ = read_midi(data)
        except ValueError as error:
            return [EvalResult(metric="music_metrics", error=str(error))]
        if not pitched(notes):
            reason = "the MIDI file has no notes (drums aside), so there is nothing to measure"
            return [EvalResult(metric=m, passed=False, reason=reason) for m in METRICS]
        values = measure(notes)
        parallels = int(values["parallel_fifths"] + values["parallel_octaves"])
        passed = None if options.max_parallels is None else parallels <= options.max_parallels
        results = []
        for metric, value in values.items():
            if math.isnan(value):
                results.append(EvalResult(metric=metric, reason="undefined: the piece has zero length"))
                continue
            result = EvalResult(metric=metric, value=value, score=score(metric, value))
            if metric.startswith("parallel_") and passed is not None:
                result = result.model_copy(
                    update={
                        "passed": passed,
                        "reason": f"{parallels} parallel fifths and octaves (limit {options.max_parallels})",
                    }
                )
            results.append(result)
        return results
