"""Notes to a WAV file by additive synthesis, deterministically (numpy and the ``wave`` module only).

Each note is a sum of harmonics with decaying amplitudes (an organ-like tone) under a short
linear attack and release, so consecutive notes of one pitch stay audible as two. The mix is
scaled to a fixed peak and written as 16-bit mono PCM; the file lasts exactly
``duration_beats`` at ``tempo_bpm``.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence

import numpy as np

from aigc.core.midi import Note

SAMPLE_RATE = 22_050
HARMONICS = (1.0, 0.5, 0.3, 0.15, 0.08)
ATTACK_S, RELEASE_S = 0.01, 0.04
PEAK = 0.8


def frequency(pitch: int) -> float:
    """Equal-tempered frequency of a MIDI pitch (A4 = 69 = 440 Hz)."""
    return 440.0 * float(2.0 ** ((pitch - 69) / 12))


def render(
    notes: Sequence[Note], tempo_bpm: float, duration_beats: float, rate: int = SAMPLE_RATE
) -> np.ndarray:
    """float32 samples in [-PEAK, PEAK] of ``notes`` over ``duration_beats`` (silence where none sound)."""
    seconds_per_beat = 60.0 / tempo_bpm
    total = round(duration_beats * seconds_per_beat * rate)
    mix = np.zeros(total, dtype=np.float64)
    for note in notes:
        start = round(note.start * seconds_per_beat * rate)
        end = min(total, round(note.end * seconds_per_beat * rate))
        if end <= start:
            continue
        t = np.arange(end - start) / rate
        tone = sum(
            amplitude * np.sin(2 * np.pi * frequency(note.pitch) * (k + 1) * t)
            for k, amplitude in enumerate(HARMONICS)
            if frequency(note.pitch) * (k + 1) < rate / 2  # no aliasing above Nyquist
        )
        length = t[-1] + 1.0 / rate
        envelope = np.minimum(1.0, np.minimum(t / ATTACK_S, (length - t) / RELEASE_S))
        mix[start:end] += tone * np.clip(envelope, 0.0, 1.0)
    peak = float(np.max(np.abs(mix))) if total else 0.0
    if peak > 0:
        mix *= PEAK / peak
    return mix.astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM WAV of float samples in [-1, 1]."""
    pcm = np.clip(np.rint(samples * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
