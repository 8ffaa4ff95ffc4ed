"""``image-fid``, ``image-kid`` and ``image-diversity`` at serving time (ONNX Runtime, numpy, scipy).

All three look at a set through the same eyes: the 128-d ``features`` output of the
``image-class-match`` classifier, divided by one constant, the root mean square of the
reference digits' features. Raw features have ``x . y / d`` near 4, where the cubic KID kernel
``(x . y / d + 1)^3`` swamps the estimate in variance (real-vs-real KID of -6 +- 10 at 100 rows);
scaled, it is near 1 as for the Inception features torchmetrics uses (real-vs-real -0.03 +- 0.03).
One constant scales FID by ``1 / c^2`` and distances by ``1 / c``: rankings do not change.

Each figure comes with its reference line. The reference digits (matching the set's labels,
by default) are cut into two class-stratified halves A and B; the set is compared with A, and so
is B, at the same number of rows as the set when B has that many. A generator as good as real
data scores like the reference line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aigc.core.sdk import EvalItem, EvalResult, decode_png
from aigc.plugins.image_class_match.evaluator import ClassMatchEvaluator, requested_label
from aigc.plugins.image_metrics.metrics import (
    TooFewSamplesError,
    diversity,
    frechet_distance,
    kernel_inception_distance,
)
from aigc.plugins.image_metrics.options import (
    DiversityOptions,
    FidOptions,
    KidOptions,
    SetMetricOptions,
)
from aigc.plugins.image_metrics.reference import ReferenceDigits

IMAGE_SIZE = 8
NUM_CLASSES = 10
DEFAULT_KID_SUBSET_SIZE = 50
HALVES_SEED = 1


def stratified_halves(labels: np.ndarray, seed: int = HALVES_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of two halves holding (as near as possible) the same count of each class, each
    in random order (so that a prefix of a half is a random subset of it)."""
    rng = np.random.default_rng(seed)
    first: list[int] = []
    second: list[int] = []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        first.extend(rows[: len(rows) // 2])
        second.extend(rows[len(rows) // 2 :])
    return rng.permutation(np.array(first, dtype=np.int64)), rng.permutation(np.array(second, dtype=np.int64))


@dataclass(frozen=True)
class Comparison:
    """A generated set and the real digits it is judged against, in the scaled feature space."""

    generated: np.ndarray
    predicted: np.ndarray
    unlabelled: bool
    real_a: np.ndarray
    real_b: np.ndarray

    @property
    def matched_b(self) -> np.ndarray:
        """Half B cut to the generated set's size where it has that many rows."""
        return self.real_b[: len(self.generated)]

    def sizes(self) -> dict[str, int]:
        return {
            "samples": len(self.generated),
            "reference_a": len(self.real_a),
            "reference_b": len(self.real_b),
        }


class DigitFeatureSpace:
    """The classifier's features, scaled by the reference digits' feature RMS."""

    def __init__(self, classifier: ClassMatchEvaluator, reference: ReferenceDigits) -> None:
        self.classifier = classifier
        self.reference_labels = reference.labels
        _, raw = classifier.classify(reference.images)
        raw = raw.astype(np.float64)
        self.scale = float(np.sqrt(np.mean(raw**2)))
        self.reference = raw / self.scale

    def features(self, items: Sequence[EvalItem]) -> tuple[np.ndarray, np.ndarray]:
        """(scaled features ``[N, 128]`` float64, predicted classes ``[N]``) of PNG artifacts."""
        images = []
        for position, item in enumerate(items):
            if item.artifact.data is None:
                raise ValueError(f"item {position}: expected PNG bytes, got a text artifact")
            images.append(decode_png(item.artifact.data, shape=(IMAGE_SIZE, IMAGE_SIZE)))
        probabilities, raw = self.classifier.classify(np.stack(images))
        return raw.astype(np.float64) / self.scale, probabilities.argmax(axis=1)

    def compare(self, items: Sequence[EvalItem], options: SetMetricOptions, metric: str) -> Comparison:
        """The set's features and the reference halves it is judged against.

        Raises ``TooFewSamplesError`` when the set is smaller than ``options.min_samples``.
        """
        if len(items) < options.min_samples:
            raise TooFewSamplesError(metric, "the generated set", len(items), options.min_samples)
        generated, predicted = self.features(items)
        rows = np.arange(len(self.reference_labels))
        labels = [requested_label(item) for item in items]
        if options.reference == "matching-labels" and None not in labels:
            rows = np.flatnonzero(np.isin(self.reference_labels, np.array(labels)))
        half_a, half_b = stratified_halves(self.reference_labels[rows])
        unlabelled = all(item.options.get("label") is None for item in items)
        return Comparison(
            generated, predicted, unlabelled, self.reference[rows[half_a]], self.reference[rows[half_b]]
        )


def _error(metric: str, error: Exception) -> list[EvalResult]:
    return [EvalResult(metric=metric, error=str(error), reason="not enough images for this metric")]


def _at_most(value: float, limit: float | None) -> bool | None:
    return None if limit is None else value <= limit


class FidEvaluator:
    """Fréchet distance between the set and real digits (lower is better)."""

    def __init__(self, space: DigitFeatureSpace) -> None:
        self.space = space

    def evaluate_set(self, items: Sequence[EvalItem], options: FidOptions) -> list[EvalResult]:
        """One ``fid`` result for the set, with the real-vs-real line in ``details``."""
        try:
            c = self.space.compare(items, options, "fid")
            value = frechet_distance(c.real_a, c.generated)
            line = frechet_distance(c.real_a, c.matched_b)
        except TooFewSamplesError as error:
            return _error("fid", error)
        details = {**c.sizes(), "real_vs_real": line, "feature_scale": self.space.scale}
        reason = f"FID {value:.3f} over {len(c.generated)} images; real-vs-real {line:.3f}"
        return [
            EvalResult(
                metric="fid",
                value=value,
                passed=_at_most(value, options.max_fid),
                reason=reason,
                details=details,
            )
        ]


class KidEvaluator:
    """Kernel inception distance between the set and real digits (lower is better, 0 = real)."""

    def __init__(self, space: DigitFeatureSpace) -> None:
        self.space = space

    def evaluate_set(self, items: Sequence[EvalItem], options: KidOptions) -> list[EvalResult]:
        """One ``kid`` result (mean over subsets; std and real-vs-real line in ``details``)."""
        try:
            c = self.space.compare(items, options, "kid")
            size = options.subset_size or min(
                DEFAULT_KID_SUBSET_SIZE, len(c.generated), len(c.real_a), len(c.real_b)
            )
            kid = kernel_inception_distance(
                c.real_a, c.generated, options.subsets, size, np.random.default_rng(options.seed)
            )
            line = kernel_inception_distance(
                c.real_a, c.real_b, options.subsets, size, np.random.default_rng(options.seed)
            )
        except TooFewSamplesError as error:
            return _error("kid", error)
        details: dict[str, Any] = {
            **c.sizes(),
            "std": kid.std,
            "subsets": kid.subsets,
            "subset_size": kid.subset_size,
            "real_vs_real": line.mean,
            "real_vs_real_std": line.std,
        }
        reason = f"KID {kid.mean:.4f} ± {kid.std:.4f}; real-vs-real {line.mean:.4f} ± {line.std:.4f}"
        return [
            EvalResult(
                metric="kid",
                value=kid.mean,
                passed=_at_most(kid.mean, options.max_kid),
                reason=reason,
                details=details,
            )
        ]


class DiversityEvaluator:
    """Mean pairwise feature distance relative to real digits, and class coverage without a label."""

    def __init__(self, space: DigitFeatureSpace) -> None:
        self.space = space

    def evaluate_set(self, items: Sequence[EvalItem], options: DiversityOptions) -> list[EvalResult]:
        """``pairwise_distance`` (score: share of the real digits' spread, capped at 1) and, for sets
        drawn without a label, ``class_coverage`` (share of the 10 classes predicted)."""
        try:
            c = self.space.compare(items, options, "diversity")
            generated = diversity(c.generated, c.predicted, NUM_CLASSES)
            real = diversity(c.real_b, np.zeros(len(c.real_b)), NUM_CLASSES).mean_pairwise_distance
        except TooFewSamplesError as error:
            return _error("pairwise_distance", error)
        distance = generated.mean_pairwise_distance
        results = [
            EvalResult(
                metric="pairwise_distance",
                value=distance,
                score=min(1.0, distance / real) if real > 0 else None,
                reason=f"mean pairwise feature distance {distance:.3f}; real digits {real:.3f}",
                details={**c.sizes(), "real_vs_real": real},
            )
        ]
        if c.unlabelled:
            coverage = generated.class_coverage
            counts = np.bincount(c.predicted, minlength=NUM_CLASSES)
            results.append(
                EvalResult(
                    metric="class_coverage",
                    value=coverage,
                    score=coverage,
                    passed=None if options.min_coverage is None else coverage >= options.min_coverage,
                    reason=f"{generated.distinct_classes} of {NUM_CLASSES} classes predicted",
                    details={"predicted_counts": [int(n) for n in counts]},
                )
            )
        return results
