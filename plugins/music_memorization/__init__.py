"""``music-memorization``: the longest run of (interval, length) pairs a MIDI piece shares with any
training chorale of ``music-transformer``, from the index shipped here (``index.npz``, listed with
its sha256 in ``manifest.json``); flags copies over a configurable length.

Importing this package needs only pydantic and pluggy; numpy and mido are loaded when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.music_memorization.options import MemorizationOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

INDEX_DIR = Path(__file__).resolve().parent
VERSION = "1.0.0"


def build_evaluator(context: PluginContext, index_dir: Path = INDEX_DIR) -> Evaluator:
    """Load the index after checking it against the manifest."""
    from aigc.core.sdk import checked_file
    from aigc.plugins.music_memorization.evaluator import MemorizationEvaluator
    from aigc.plugins.music_memorization.index import INDEX_FILE, MelodyIndex

    return MemorizationEvaluator(MelodyIndex.load(checked_file(index_dir, INDEX_FILE)))


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="music-memorization",
        version=VERSION,
        options=MemorizationOptions,
        factory=build_evaluator,
        media_types=("audio/midi",),
        model_dir=INDEX_DIR,
        description=(
            "longest run of consecutive (interval, length) pairs shared with a training chorale (value); "
            "passed=false flags a copy longer than max_shared"
        ),
    )
)
