"""``music-metrics``: pitch-class entropy, scale consistency, empty-beat rate, polyphony rate,
pitch range (MusPy's definitions) and parallel fifths/octaves of MIDI artifacts.

Importing this package needs only pydantic and pluggy; mido is loaded when the evaluator runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.music_metrics.options import MusicMetricsOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

VERSION = "1.0.0"


def build_evaluator(context: PluginContext) -> Evaluator:
    """The evaluator (no model to load)."""
    from aigc.plugins.music_metrics.evaluator import MusicMetricsEvaluator

    return MusicMetricsEvaluator()


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="music-metrics",
        version=VERSION,
        options=MusicMetricsOptions,
        factory=build_evaluator,
        media_types=("audio/midi",),
        description=(
            "pitch-class entropy, scale consistency, empty-beat rate, polyphony rate and pitch range "
            "(MusPy definitions) and parallel fifths/octaves between voices (MIDI tracks)"
        ),
    )
)
