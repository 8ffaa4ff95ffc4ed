"""Set-level image metrics on classifier features, in float64 numpy and scipy (no torch).

Definitions follow torchmetrics so that figures are comparable:

- FID (Heusel et al., 2017): ``|mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))`` with the
  unbiased (``n - 1``) covariances ``S``. The trace of the matrix square root is computed as the
  sum of the square roots of the eigenvalues of the symmetric PSD matrix
  ``S_r^(1/2) S_g S_r^(1/2)``, which has the same eigenvalues as ``S_r S_g`` but no complex
  round-off.
- KID (Binkowski et al., 2018): the unbiased estimate of the squared MMD with the cubic
  polynomial kernel ``k(x, y) = (x . y / d + 1)^3``, averaged over ``subsets`` random subsets of
  ``subset_size`` rows drawn without replacement from each set; returns the mean and the
  (population) standard deviation over subsets.
- Diversity: the mean Euclidean distance between all pairs of feature vectors, and the share of
  the classes that appear among the predicted labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.spatial import distance

MIN_FID_SAMPLES = 2  # an unbiased covariance needs two rows; far more are needed for a stable value
MIN_KID_SUBSET_SIZE = 2  # the unbiased MMD leaves out the diagonal, so each subset needs two rows
MIN_DIVERSITY_SAMPLES = 2


class TooFewSamplesError(ValueError):
    """A set has fewer samples than a metric needs; names the metric, the set, the count and the minimum."""

    def __init__(self, metric: str, which: str, count: int, minimum: int) -> None:
        super().__init__(f"{metric}: {which} has {count} samples, at least {minimum} are needed")
        self.metric, self.which, self.count, self.minimum = metric, which, count, minimum


@dataclass(frozen=True)
class KernelInceptionDistance:
    """KID over random subsets: the mean and the standard deviation of the per-subset estimates."""

    mean: float
    std: float
    subsets: int
    subset_size: int


def _as_features(features: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _check_same_width(real: np.ndarray, generated: np.ndarray) -> None:
    if real.shape[1] != generated.shape[1]:
        raise ValueError(f"real has {real.shape[1]} features per sample, generated has {generated.shape[1]}")


def mean_and_covariance(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and unbiased covariance ``[D, D]`` of ``features [N, D]`` (float64)."""
    mean = features.mean(axis=0)
    centred = features - mean
    return mean, centred.T @ centred / (len(features) - 1)


def frechet_distance(real: np.ndarray, generated: np.ndarray) -> float:
    """FID between two feature sets ``[N, D]`` (rows are samples); raises ``TooFewSamplesError``."""
    real, generated = _as_features(real, "real"), _as_features(generated, "generated")
    _check_same_width(real, generated)
    for which, array in (("real", real), ("generated", generated)):
        if len(array) < MIN_FID_SAMPLES:
            raise TooFewSamplesError("fid", which, len(array), MIN_FID_SAMPLES)
    mu_r, sigma_r = mean_and_covariance(real)
    mu_g, sigma_g = mean_and_covariance(generated)
    root_r = _psd_sqrt(sigma_r)
    eigenvalues = np.linalg.eigvalsh(root_r @ sigma_g @ root_r)
    trace_sqrt = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
    difference = mu_r - mu_g
    value = float(difference @ difference + np.trace(sigma_r) + np.trace(sigma_g) - 2.0 * trace_sqrt)
    return max(value, 0.0)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (negative round-off dropped)."""
    eigenvalues, vectors = linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(x . y / d + 1)^3`` for all row pairs: ``[len(x), len(y)]``."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def unbiased_mmd2(real: np.ndarray, generated: np.ndarray) -> float:
    """Unbiased squared MMD of two equally sized sets under :func:`polynomial_kernel`."""
    m = len(real)
    k_rr, k_gg, k_rg = (
        polynomial_kernel(real, real),
        polynomial_kernel(generated, generated),
        polynomial_kernel(real, generated),
    )
    within = (k_rr.sum() - np.trace(k_rr) + k_gg.sum() - np.trace(k_gg)) / (m * (m - 1))
    return float(within - 2.0 * k_rg.sum() / (m * m))


def kernel_inception_distance(
    real: np.ndarray,
    generated: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    rng: np.random.Generator | None = None,
) -> KernelInceptionDistance:
    """KID between two feature sets; each subset draws ``subset_size`` rows of each without replacement.

    Raises ``TooFewSamplesError`` when a set has fewer than ``subset_size`` rows (or the subset
    size is below 2), as torchmetrics does.
    """
    real, generated = _as_features(real, "real"), _as_features(generated, "generated")
    _check_same_width(real, generated)
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    if subset_size < MIN_KID_SUBSET_SIZE:
        raise TooFewSamplesError("kid", "subset_size", subset_size, MIN_KID_SUBSET_SIZE)
    for which, array in (("real", real), ("generated", generated)):
        if len(array) < subset_size:
            raise TooFewSamplesError("kid", which, len(array), subset_size)
    rng = rng if rng is not None else np.random.default_rng(0)
    scores = np.empty(subsets, dtype=np.float64)
    for i in range(subsets):
        real_rows = rng.permutation(len(real))[:subset_size]
        generated_rows = rng.permutation(len(generated))[:subset_size]
        scores[i] = unbiased_mmd2(real[real_rows], generated[generated_rows])
    return KernelInceptionDistance(float(scores.mean()), float(scores.std()), subsets, subset_size)


@dataclass(frozen=True)
class Diversity:
    """Within-set variety: mean pairwise feature distance and the share of classes predicted."""

    mean_pairwise_distance: float
    class_coverage: float
    distinct_classes: int


def diversity(features: np.ndarray, predicted: np.ndarray, num_classes: int = 10) -> Diversity:
    """Mean Euclidean distance over all pairs of rows of ``features``, and class coverage of ``predicted``."""
    features = _as_features(features, "features")
    predicted = np.asarray(predicted)
    if len(predicted) != len(features):
        raise ValueError(f"got {len(features)} feature rows but {len(predicted)} predicted labels")
    if len(features) < MIN_DIVERSITY_SAMPLES:
        raise TooFewSamplesError("diversity", "features", len(features), MIN_DIVERSITY_SAMPLES)
    mean = float(distance.pdist(features, metric="euclidean").mean())
    distinct = len(np.unique(predicted))
    return Diversity(mean, distinct / num_classes, distinct)
