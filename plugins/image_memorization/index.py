"""The training images of ``image-text-diffusion`` as 16x16 RGB features, searched by brute force.

Feature space: each image reduced to 16x16 RGB with a box filter, values in [0, 1], flattened
(768 numbers). Distance: the root-mean-square difference per value, 0 (identical) to 1 (black vs
white everywhere). At 3,400 images an exact scan is a single matrix product, no approximate index.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

INDEX_FILE = "index.npz"
FEATURE_SIZE = 16


def features(images: np.ndarray) -> np.ndarray:
    """``images [B, 16, 16, 3]`` in [0, 1] -> feature rows ``[B, 768]`` float32."""
    return images.reshape(len(images), -1).astype(np.float32)


@dataclass(frozen=True)
class Nearest:
    """The nearest training image of one query: row, RMS distance, caption and file."""

    row: int
    distance: float
    caption: str
    file: str


@dataclass(frozen=True)
class TrainingImageIndex:
    """Feature rows ``[N, 768]`` (stored as uint8) with each training image's caption and file."""

    pixels: np.ndarray
    captions: np.ndarray
    files: np.ndarray

    @classmethod
    def load(cls, path: Path) -> TrainingImageIndex:
        """The index from ``index.npz`` (``pixels`` uint8 ``[N, 16, 16, 3]``, ``captions``, ``files``)."""
        with np.load(path) as data:
            return cls(data["pixels"], data["captions"], data["files"])

    def save(self, path: Path) -> None:
        """Write ``index.npz`` (compressed)."""
        np.savez_compressed(path, pixels=self.pixels, captions=self.captions, files=self.files)

    @cached_property
    def _train(self) -> np.ndarray:
        """The training feature rows in [0, 1], converted once rather than on every search."""
        return features(self.pixels.astype(np.float32) / 255.0)

    @cached_property
    def _train_norms(self) -> np.ndarray:
        return (self._train**2).sum(1)[None]

    def nearest(self, queries: np.ndarray) -> list[Nearest]:
        """The nearest training image of each query ``[B, 16, 16, 3]`` in [0, 1]."""
        train = self._train
        query = features(queries)
        squared = (query**2).sum(1)[:, None] - 2.0 * query @ train.T + self._train_norms
        rows = squared.argmin(axis=1)
        # The nearest row's distance again, directly: the matrix product's rounding depends on the
        # batch (BLAS blocking), and an image's result must not.
        best = np.sqrt(((query.astype(np.float64) - train[rows]) ** 2).mean(axis=1))
        return [
            Nearest(int(row), float(distance), str(self.captions[row]), str(self.files[row]))
            for row, distance in zip(rows, best, strict=True)
        ]
