"""``audio-metrics``: loudness, true peak, clipping, silence and speaking rate of audio files.

Definitions in README.md. Importing this package needs only pydantic and pluggy; measuring needs
the ``audio`` extra (pyloudnorm, scipy; soundfile for formats other than WAV).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.audio_metrics.options import AudioMetricsOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

VERSION = "1.0.0"
MEDIA_TYPES = ("audio/wav", "audio/flac", "audio/ogg", "audio/mpeg", "audio/L16")


def build_evaluator(context: PluginContext) -> Evaluator:
    """The evaluator (no model)."""
    from aigc.plugins.audio_metrics.evaluator import AudioMetricsEvaluator

    return AudioMetricsEvaluator()


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="audio-metrics",
        version=VERSION,
        options=AudioMetricsOptions,
        factory=build_evaluator,
        media_types=MEDIA_TYPES,
        description=(
            "duration, integrated loudness (LUFS, ITU-R BS.1770), true peak (dBTP), clipping rate, "
            "leading/trailing/internal silence, and speaking rate (words per minute) against the prompt"
        ),
    )
)
