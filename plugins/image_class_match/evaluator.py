"""The ``image-class-match`` evaluator at serving time (ONNX Runtime + numpy only).

Each PNG is decoded to grayscale, reduced to 8x8 with a box filter (which undoes the generator's
nearest-neighbour upscaling exactly) and classified; all items go through one session call.
The requested label is the artifact's ``metadata["label"]``, else the request's ``label`` option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aigc.core.sdk import EvalItem, EvalResult, ModelSession, decode_png
from aigc.plugins.image_class_match.options import ClassMatchOptions

METRIC = "class_match"
NUM_CLASSES = 10
IMAGE_SIZE = 8


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed in float64 for stable probabilities."""
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def requested_label(item: EvalItem) -> int | None:
    """The digit the item was asked to show, or None; raises ``ValueError`` for a non-digit."""
    value: Any = item.artifact.metadata.get("label")
    if value is None:
        value = item.options.get("label")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < NUM_CLASSES:
        raise ValueError(f"requested label must be an integer 0-9, got {value!r}")
    return int(value)


class ClassMatchEvaluator:
    """Probability that each image shows its requested digit, by a CNN trained on the digits."""

    def __init__(self, session: ModelSession) -> None:
        self.session = session

    def classify(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``images [B, 8, 8]`` in [0, 1] -> (probabilities ``[B, 10]``, features ``[B, F]``)."""
        outputs = self.session.run({"image": images[:, None].astype(np.float32)})
        return softmax(outputs["logits"]), outputs["features"]

    def evaluate(self, items: Sequence[EvalItem], options: ClassMatchOptions) -> list[list[EvalResult]]:
        """One ``class_match`` result per item; an undecodable image or bad label gives an error result."""
        results: list[list[EvalResult] | None] = [None] * len(items)
        images, labels, positions = [], [], []
        for i, item in enumerate(items):
            try:
                if item.artifact.data is None:
                    raise ValueError(f"expected PNG bytes, got a {item.artifact.media_type} text artifact")
                label = requested_label(item)
                images.append(decode_png(item.artifact.data, shape=(IMAGE_SIZE, IMAGE_SIZE)))
            except Exception as error:
                results[i] = [EvalResult(metric=METRIC, error=f"{type(error).__name__}: {error}")]
                continue
            labels.append(label)
            positions.append(i)
        if images:
            probabilities, _ = self.classify(np.stack(images))
            for i, label, row in zip(positions, labels, probabilities, strict=True):
                results[i] = [judge(row, label, options.threshold)]
        return [r if r is not None else [] for r in results]


def judge(probabilities: np.ndarray, label: int | None, threshold: float) -> EvalResult:
    """The result for one image from its class probabilities and requested label."""
    predicted = int(np.argmax(probabilities))
    top = float(probabilities[predicted])
    details: Mapping[str, Any] = {
        "predicted": predicted,
        "requested": label,
        "probabilities": [round(float(p), 6) for p in probabilities],
    }
    if label is None:
        reason = f"predicted {predicted} (p={top:.2f}); no label was requested"
        return EvalResult(
            metric=METRIC, score=top, value=top, passed=None, reason=reason, details=dict(details)
        )
    probability = float(probabilities[label])
    return EvalResult(
        metric=METRIC,
        score=probability,
        value=probability,
        passed=predicted == label and probability >= threshold,
        reason=f"predicted {predicted} (p={top:.2f}), requested {label}",
        details=dict(details),
    )
