"""``image-class-match``: does a generated digit show the digit that was requested?

A small CNN trained on scikit-learn's digits scores each PNG with the probability of its
requested label. Importing this package needs only pydantic and pluggy; ONNX Runtime is loaded
when the evaluator is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, evaluator_hook
from aigc.plugins.image_class_match.options import ClassMatchOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "classifier.onnx"
VERSION = "1.0.0"


def build_evaluator(context: PluginContext) -> Evaluator:
    """Load ``classifier.onnx`` through the runtime (sha256-checked) and wrap it."""
    from aigc.plugins.image_class_match.evaluator import ClassMatchEvaluator

    return ClassMatchEvaluator(context.runtime.session(MODEL_DIR, ONNX_FILE))


aigc_register_evaluators = evaluator_hook(
    EvaluatorSpec(
        name="image-class-match",
        version=VERSION,
        options=ClassMatchOptions,
        factory=build_evaluator,
        media_types=("image/png",),
        model_dir=MODEL_DIR,
        description=(
            "probability that an image shows its requested digit (0-9), from a CNN trained on "
            "scikit-learn's digits; passes when it is the top class and reaches the threshold"
        ),
    )
)
