"""``image-memorization``: how close each generated image is to its nearest training image of
``image-text-diffusion`` (16x16 RGB pixels, RMS distance), from the index shipped here
(``index.npz``, listed with its sha256 in ``manifest.json``); flags near-copies under a
configurable distance and names the nearest training caption and file.

Importing this package needs only pydantic and pluggy; numpy and Pillow are loaded when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.image_memorization.options import ImageMemorizationOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

INDEX_DIR = Path(__file__).resolve().parent
VERSION = "1.0.0"


def build_evaluator(context: PluginContext, index_dir: Path = INDEX_DIR) -> Evaluator:
    """Load the index after checking it against the manifest."""
    from aigc.core.sdk import checked_file
    from aigc.plugins.image_memorization.evaluator import ImageMemorizationEvaluator
    from aigc.plugins.image_memorization.index import INDEX_FILE, TrainingImageIndex

    return ImageMemorizationEvaluator(TrainingImageIndex.load(checked_file(index_dir, INDEX_FILE)))


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="image-memorization",
        version=VERSION,
        options=ImageMemorizationOptions,
        factory=build_evaluator,
        media_types=("image/png",),
        model_dir=INDEX_DIR,
        description=(
            "RMS pixel distance (16x16 RGB) to the nearest image-text-diffusion training emoji (value), "
            "with its caption and file; passed=false flags a near-copy at or under max_copy_distance"
        ),
    )
)
