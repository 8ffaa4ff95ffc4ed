"""scikit-learn's bundled 8x8 handwritten digits, split once for every training and test.

The images are the UCI "Optical Recognition of Handwritten Digits" test set (1,797 images,
43 writers, licence CC BY 4.0) as shipped inside scikit-learn, so no download is needed.
Pixel counts 0..16 become float32 in [0, 1]. The split is stratified by class and fixed by
``SPLIT_SEED``: the GAN and the classifier train on the same ``train`` part, and the
``held_out`` part is only ever used for reporting.

Training time only: scikit-learn is in the ``train`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_SEED = 20240601
HELD_OUT_FRACTION = 0.2
NUM_CLASSES = 10
IMAGE_SIZE = 8
DATA_SOURCE = (
    "scikit-learn load_digits: UCI Optical Recognition of Handwritten Digits (test set, "
    "1,797 8x8 images, CC BY 4.0); stratified 80/20 train/held-out split, "
    f"seed {SPLIT_SEED} (aigc.plugins.lib.datasets.digits)"
)


@dataclass(frozen=True)
class DigitsSplit:
    """Images ``(N, 8, 8)`` float32 in [0, 1] and labels ``(N,)`` int64, for both parts."""

    train_images: np.ndarray
    train_labels: np.ndarray
    held_out_images: np.ndarray
    held_out_labels: np.ndarray


def load_digits_split(seed: int = SPLIT_SEED, held_out_fraction: float = HELD_OUT_FRACTION) -> DigitsSplit:
    """The digits as a seeded, class-stratified train/held-out split (same arguments, same split)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    train_x, held_x, train_y, held_y = train_test_split(
        images, labels, test_size=held_out_fraction, random_state=seed, stratify=labels
    )
    return DigitsSplit(train_x, train_y, held_x, held_y)
