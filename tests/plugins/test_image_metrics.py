"""Set-level metric maths, checked against direct numpy/scipy references on fixed random features."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import linalg

from aigc.plugins.image_metrics.metrics import (
    TooFewSamplesError,
    diversity,
    frechet_distance,
    kernel_inception_distance,
    unbiased_mmd2,
)


def features(seed: int, n: int = 200, d: int = 16, shift: float = 0.0) -> np.ndarray:
    """``n`` correlated Gaussian rows; the same distribution for every seed (only the draw changes)."""
    mixing = np.random.default_rng(1234).standard_normal((d, d)) / np.sqrt(d)
    return np.random.default_rng(seed).standard_normal((n, d)) @ mixing + shift


def reference_fid(real: np.ndarray, generated: np.ndarray) -> float:
    """The textbook formula with scipy's general matrix square root."""
    mu_r, mu_g = real.mean(0), generated.mean(0)
    sigma_r, sigma_g = np.cov(real, rowvar=False), np.cov(generated, rowvar=False)
    covmean = linalg.sqrtm(sigma_r @ sigma_g).real
    return float(((mu_r - mu_g) ** 2).sum() + np.trace(sigma_r + sigma_g - 2 * covmean))


def reference_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 by explicit loops over pairs (cubic polynomial kernel)."""
    d, m = x.shape[1], len(x)

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return (a @ b / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_fid_matches_the_scipy_sqrtm_reference() -> None:
    real, generated = features(0), features(1, shift=0.3)
    assert frechet_distance(real, generated) == pytest.approx(reference_fid(real, generated), rel=1e-8)


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_a_shift() -> None:
    real = features(2)
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-8)
    near, far = frechet_distance(real, real + 0.1), frechet_distance(real, real + 1.0)
    assert near == pytest.approx(16 * 0.1**2, rel=1e-6)
    assert far == pytest.approx(16.0, rel=1e-6)


def test_fid_is_symmetric() -> None:
    a, b = features(3), features(4, shift=0.5)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_unbiased_mmd2_matches_the_explicit_pair_sums() -> None:
    x, y = features(5, n=12, d=6), features(6, n=12, d=6, shift=0.2)
    assert unbiased_mmd2(x, y) == pytest.approx(reference_mmd2(x, y), rel=1e-10)


def test_kid_averages_the_mmd2_of_the_subsets_it_draws() -> None:
    real, generated = features(7, n=50, d=8), features(8, n=40, d=8, shift=0.4)
    kid = kernel_inception_distance(real, generated, subsets=5, subset_size=10, rng=np.random.default_rng(9))
    rng = np.random.default_rng(9)
    expected = []
    for _ in range(5):
        r = real[rng.permutation(50)[:10]]
        g = generated[rng.permutation(40)[:10]]
        expected.append(reference_mmd2(r, g))
    assert kid.mean == pytest.approx(np.mean(expected), rel=1e-9)
    assert kid.std == pytest.approx(np.std(expected), rel=1e-9)
    assert (kid.subsets, kid.subset_size) == (5, 10)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shifted_one() -> None:
    real, same = features(10, n=400), features(11, n=400)
    same_kid = kernel_inception_distance(real, same, subsets=20, subset_size=100)
    shifted_kid = kernel_inception_distance(real, same + 1.0, subsets=20, subset_size=100)
    assert abs(same_kid.mean) < 3 * same_kid.std + 1e-3
    assert shifted_kid.mean > 10 * max(same_kid.std, 1e-3)


def test_kid_with_a_seeded_rng_is_reproducible() -> None:
    real, generated = features(12, n=60), features(13, n=60)
    first = kernel_inception_distance(real, generated, 4, 20, np.random.default_rng(1))
    assert first == kernel_inception_distance(real, generated, 4, 20, np.random.default_rng(1))


@pytest.mark.parametrize(("real_n", "generated_n", "which"), [(1, 10, "real"), (10, 1, "generated")])
def test_fid_refuses_fewer_than_two_samples_naming_the_set(real_n: int, generated_n: int, which: str) -> None:
    with pytest.raises(TooFewSamplesError, match=f"fid: {which} has 1 samples, at least 2") as raised:
        frechet_distance(features(0, n=real_n), features(1, n=generated_n))
    assert (raised.value.which, raised.value.count, raised.value.minimum) == (which, 1, 2)


def test_kid_refuses_sets_smaller_than_the_subset_size() -> None:
    with pytest.raises(TooFewSamplesError, match="kid: generated has 30 samples, at least 50") as raised:
        kernel_inception_distance(features(0, n=100), features(1, n=30), subsets=2, subset_size=50)
    assert raised.value.minimum == 50


def test_kid_refuses_a_subset_size_below_two() -> None:
    with pytest.raises(TooFewSamplesError, match="subset_size"):
        kernel_inception_distance(features(0), features(1), subsets=2, subset_size=1)


def test_too_few_samples_is_a_value_error() -> None:
    assert issubclass(TooFewSamplesError, ValueError)


def test_mismatched_feature_widths_are_refused() -> None:
    with pytest.raises(ValueError, match="features per sample"):
        frechet_distance(features(0, d=8), features(1, d=16))


def test_non_finite_features_are_refused() -> None:
    broken = features(0)
    broken[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(broken, features(1))


def test_diversity_is_the_mean_pairwise_distance_and_class_coverage() -> None:
    f = features(14, n=30, d=5)
    predicted = np.array([0, 1, 2] * 10)
    result = diversity(f, predicted)
    expected = np.mean([np.linalg.norm(f[i] - f[j]) for i, j in itertools.combinations(range(30), 2)])
    assert result.mean_pairwise_distance == pytest.approx(expected, rel=1e-10)
    assert (result.distinct_classes, result.class_coverage) == (3, 0.3)


def test_diversity_of_identical_samples_is_zero() -> None:
    result = diversity(np.ones((5, 4)), np.zeros(5, dtype=int))
    assert (result.mean_pairwise_distance, result.class_coverage) == (0.0, 0.1)


def test_diversity_refuses_a_single_sample() -> None:
    with pytest.raises(TooFewSamplesError, match="diversity"):
        diversity(np.ones((1, 4)), np.zeros(1, dtype=int))
