"""A small SVG picture of a stored sound: the loudest peaks of each slice of time, drawn as bars."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

COLUMNS = 240
HEIGHT = 48
WAVEFORM_MEDIA_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave"})


def has_waveform(media_type: str) -> bool:
    """Whether the gallery draws a waveform for artifacts of ``media_type`` (uncompressed WAV)."""
    return media_type.split(";")[0].strip().lower() in WAVEFORM_MEDIA_TYPES


def waveform_svg(wav: bytes) -> str:
    """The SVG of a WAV file's waveform; bytes that do not decode raise ``ValueError``."""
    from aigc.core.audio_files import decode  # only when drawing: loading the gallery needs no numpy

    try:
        samples, _ = decode(wav, "audio/wav")
    except RuntimeError as error:  # soundfile's (other sample widths), or soundfile missing
        raise ValueError(str(error)) from error
    return samples_svg(samples)


def samples_svg(samples: np.ndarray, columns: int = COLUMNS, height: int = HEIGHT) -> str:
    """An SVG of ``samples`` (floats in [-1, 1]): one vertical bar per column from its lowest to its
    highest sample, centred on the zero line; silence is a flat line."""
    import numpy as np

    middle = height / 2
    bars = []
    if len(samples):
        slices = np.array_split(np.clip(samples, -1.0, 1.0), min(columns, len(samples)))
        for x, part in enumerate(slices):
            top = middle - float(part.max()) * middle
            bottom = middle - float(part.min()) * middle
            bars.append(f"M{x} {top:.1f}V{max(bottom, top + 0.5):.1f}")
    width = max(1, len(bars))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" role="img">'
        f'<line x1="0" y1="{middle}" x2="{width}" y2="{middle}" stroke="#d0d7de" stroke-width="0.5"/>'
        f'<path d="{"".join(bars)}" stroke="#0969da" stroke-width="1" fill="none"/></svg>'
    )
