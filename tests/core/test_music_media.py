"""Notes to MIDI and back, and to WAV: exact times, real sound, the same bytes every time."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from aigc.core.audio import SAMPLE_RATE, render, wav_bytes
from aigc.core.midi import Note, read_midi, write_midi

NOTES = [Note(0.0, 1.0, 67, 0), Note(1.0, 1.5, 69, 0), Note(1.5, 3.0, 67, 0), Note(0.0, 3.0, 48, 1)]


def test_midi_round_trips_notes_voices_and_tempo() -> None:
    notes, tempo = read_midi(write_midi(NOTES, ["Soprano", "Bass"], tempo_bpm=72))
    assert notes == sorted(NOTES)
    assert tempo == pytest.approx(72)


def test_repeated_pitches_stay_separate_notes() -> None:
    repeated = [Note(0.0, 1.0, 60, 0), Note(1.0, 2.0, 60, 0)]
    assert read_midi(write_midi(repeated, ["Soprano"], 100))[0] == repeated


def test_bytes_that_are_not_midi_are_refused() -> None:
    with pytest.raises(ValueError, match="not a readable MIDI file"):
        read_midi(b"RIFF....WAVE")


def test_wav_lasts_exactly_the_given_beats_and_is_audible() -> None:
    data = wav_bytes(render(NOTES, tempo_bpm=120, duration_beats=4))
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getframerate() == SAMPLE_RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert wav.getnframes() == 2 * SAMPLE_RATE  # 4 beats at 120 bpm = 2 s
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    sounding, silent = samples[: int(1.4 * SAMPLE_RATE)], samples[int(1.55 * SAMPLE_RATE) :]
    assert np.sqrt(np.mean(sounding.astype(float) ** 2)) > 1000
    assert np.abs(silent).max() == 0  # beat 3 onwards: every note has ended


def test_rendering_is_deterministic_and_follows_the_pitch() -> None:
    assert wav_bytes(render(NOTES, 90, 4)) == wav_bytes(render(NOTES, 90, 4))
    a4 = render([Note(0.0, 4.0, 69)], 60, 4)
    spectrum = np.abs(np.fft.rfft(a4))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(a4) == pytest.approx(440, abs=1)


def test_no_notes_render_silence_of_the_right_length() -> None:
    assert not render([], 60, 2).any() and len(render([], 60, 2)) == 2 * SAMPLE_RATE
