"""The ``image-memorization`` evaluator: each image's nearest training image and how close it is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import EvalItem, EvalResult, decode_png
from aigc.plugins.image_memorization.index import FEATURE_SIZE, Nearest, TrainingImageIndex
from aigc.plugins.image_memorization.options import ImageMemorizationOptions

METRIC = "nearest_training_distance"


class ImageMemorizationEvaluator:
    """Flags images that are near-copies of a training image of ``image-text-diffusion``."""

    def __init__(self, index: TrainingImageIndex) -> None:
        self.index = index

    def evaluate(
        self, items: Sequence[EvalItem], options: ImageMemorizationOptions
    ) -> list[list[EvalResult]]:
        """One result per item: value = RMS distance to the nearest training image, passed = not a copy."""
        results: list[list[EvalResult] | None] = [None] * len(items)
        images, positions = [], []
        for position, item in enumerate(items):
            try:
                if item.artifact.data is None:
                    raise ValueError(f"expected PNG bytes, got a {item.artifact.media_type} text artifact")
                images.append(decode_png(item.artifact.data, (FEATURE_SIZE, FEATURE_SIZE), rgb=True))
                positions.append(position)
            except (ValueError, OSError) as error:
                results[position] = [EvalResult(metric=METRIC, error=f"not a readable PNG: {error}")]
        if images:
            for position, nearest in zip(positions, self.index.nearest(np.stack(images)), strict=True):
                results[position] = [_result(nearest, options.max_copy_distance)]
        return [result or [] for result in results]


def _result(nearest: Nearest, limit: float) -> EvalResult:
    """value = RMS distance; score grows with the distance (1 at twice the limit); passed = not a copy."""
    copied = nearest.distance <= limit
    return EvalResult(
        metric=METRIC,
        value=nearest.distance,
        score=min(1.0, nearest.distance / (2 * limit)) if limit > 0 else 1.0,
        passed=not copied,
        reason=(
            f"nearest training image '{nearest.caption}' at RMS distance {nearest.distance:.3f}"
            f"{' — flagged as a near-copy' if copied else ''} (limit {limit})"
        ),
        details={"caption": nearest.caption, "file": nearest.file, "row": nearest.row},
    )
