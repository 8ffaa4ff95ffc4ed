"""Audio measures on mono float samples in [-1, 1] (numpy, scipy and pyloudnorm).

- ``integrated_loudness``: ITU-R BS.1770-4 / EBU R128 integrated loudness in LUFS (K-weighting,
  400 ms blocks with 75% overlap, absolute gate -70 LUFS, relative gate -10 LU), by pyloudnorm.
- ``true_peak_db``: the peak of the signal oversampled 4x (BS.1770-4 Annex 2), in dBTP: it
  catches peaks between samples that a sample peak misses.
- ``clipping_rate``: the fraction of samples in runs of at least two consecutive samples at or
  beyond ``level`` of full scale (flat tops). A single sample at full scale, as a peak-normalised
  file has, is not clipping.
- ``silence``: 10 ms frames whose RMS is below a threshold (dBFS) are silent; the leading,
  trailing and internal (between the first and last sounding frames) silent time as fractions of
  the whole duration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_S = 0.010
FLOOR_DB = -120.0
BS1770_BLOCK_S = 0.4


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """Integrated loudness in LUFS; None if shorter than one 400 ms block or silent (all gated)."""
    import pyloudnorm

    if len(samples) < BS1770_BLOCK_S * rate:
        return None
    loudness = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    return loudness if np.isfinite(loudness) else None


def true_peak_db(samples: np.ndarray) -> float:
    """Peak of the 4x oversampled signal in dBTP (``FLOOR_DB`` for silence)."""
    from scipy.signal import resample_poly

    oversampled = resample_poly(samples, 4, 1) if len(samples) > 1 else samples
    peak = float(np.max(np.abs(oversampled))) if len(oversampled) else 0.0
    return max(FLOOR_DB, 20.0 * float(np.log10(peak))) if peak > 0 else FLOOR_DB


def clipping_rate(samples: np.ndarray, level: float) -> float:
    """Fraction of samples in runs of two or more at or beyond ``level`` (same sign)."""
    if not len(samples):
        return 0.0
    high, low = samples >= level, samples <= -level
    clipped = np.zeros(len(samples), bool)
    for flat in (high, low):
        pair = flat[1:] & flat[:-1]  # both samples of a neighbouring pair are at the limit
        clipped[1:] |= pair
        clipped[:-1] |= pair
    return float(clipped.mean())


@dataclass(frozen=True)
class Silence:
    """Silent time at the start, at the end and in between, each as a fraction of the duration."""

    leading: float
    trailing: float
    internal: float
    seconds: float

    @property
    def active_seconds(self) -> float:
        """From the first to the last sounding frame."""
        return self.seconds * (1.0 - self.leading - self.trailing)


def silence(samples: np.ndarray, rate: int, threshold_db: float) -> Silence:
    """Silent fractions from 10 ms frames whose RMS is below ``threshold_db`` dBFS."""
    seconds = len(samples) / rate
    size = max(1, round(FRAME_S * rate))
    count = -(-len(samples) // size)
    if count == 0:
        return Silence(1.0, 0.0, 0.0, seconds)
    padded = np.zeros(count * size)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(count, size) ** 2, axis=1))
    sounding = np.flatnonzero(rms > 10 ** (threshold_db / 20.0))
    if not len(sounding):
        return Silence(1.0, 0.0, 0.0, seconds)
    frame_s = size / rate
    first, last = int(sounding[0]), int(sounding[-1])
    leading = first * frame_s
    trailing = max(0.0, seconds - (last + 1) * frame_s)
    internal = (last - first + 1 - len(sounding)) * frame_s
    return Silence(leading / seconds, trailing / seconds, internal / seconds, seconds)
