"""The ``music-memorization`` evaluator: the longest melodic run a piece shares with training chorales."""

from __future__ import annotations

from collections.abc import Sequence

from aigc.core.sdk import EvalItem, EvalResult, read_midi
from aigc.plugins.music_memorization.index import MelodyIndex, SharedRun, voice_codes
from aigc.plugins.music_memorization.options import MemorizationOptions

METRIC = "longest_shared_run"
VOICE_NAMES = ("soprano", "alto", "tenor", "bass")


class MemorizationEvaluator:
    """Flags pieces that copy a run of a training chorale (any voice, any transposition)."""

    def __init__(self, index: MelodyIndex) -> None:
        self.index = index

    def evaluate(self, items: Sequence[EvalItem], options: MemorizationOptions) -> list[list[EvalResult]]:
        """One ``longest_shared_run`` result per item: value = run length, passed = not a copy."""
        return [[self._evaluate(item.artifact.payload, options)] for item in items]

    def _evaluate(self, data: bytes, options: MemorizationOptions) -> EvalResult:
        try:
            notes, _ = read_midi(data)
        except ValueError as error:
            return EvalResult(metric=METRIC, error=str(error))
        if not notes:
            return EvalResult(
                metric=METRIC,
                value=0.0,
                score=1.0,
                passed=True,
                reason="the MIDI file has no notes to compare",
            )
        runs = [
            self.index.longest_shared_run(voice_codes(notes, v)) for v in sorted({n.voice for n in notes})
        ]
        best = max(runs, key=lambda run: run.length, default=SharedRun(0))
        copied = best.length > options.max_shared
        where = "" if best.chorale is None else f" with the {VOICE_NAMES[best.voice or 0]} of {best.chorale}"
        return EvalResult(
            metric=METRIC,
            value=float(best.length),
            score=max(0.0, 1.0 - best.length / (2 * options.max_shared)),
            passed=not copied,
            reason=(
                f"shares {best.length} consecutive (interval, length) pairs{where}"
                f"{' — flagged as a copy' if copied else ''} (limit {options.max_shared})"
            ),
            details={"per_voice": [r.length for r in runs], "chorale": best.chorale, "voice": best.voice},
        )
