"""Notes to MIDI and back, and to WAV: exact times, real sound, the same bytes every time."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from aigc.core.audio import SAMPLE_RATE, render, wav_bytes
from aigc.core.midi import Note, read_midi, write_midi
from aigc.core.soundfont import SoundFont, find_soundfont, render_soundfont
from tests.midi_files import midi_file, track

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


def test_channel_10_notes_are_drum_notes() -> None:
    notes, _ = read_midi(midi_file(track([(0, 480, 60)]), track([(0, 240, 36)], channel=9)))
    assert notes == [Note(0.0, 0.5, 36, 1, drum=True), Note(0.0, 1.0, 60, 0)]


def test_overlapping_notes_of_one_pitch_close_first_in_first_out() -> None:
    events = [(0, 0, 60, 80), (240, 0, 60, 80), (480, 0, 60, 0), (960, 0, 60, 0)]
    assert read_midi(midi_file(events))[0] == [Note(0.0, 1.0, 60), Note(0.5, 2.0, 60)]


def test_zero_length_notes_are_kept_and_open_notes_end_with_their_track() -> None:
    events = [(0, 0, 60, 80), (0, 0, 60, 0), (480, 0, 64, 80)]
    assert read_midi(midi_file(events, end=1920))[0] == [Note(0.0, 0.0, 60), Note(1.0, 4.0, 64)]


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


# -- General MIDI SoundFont rendering --------------------------------------------------------------------


@pytest.fixture(scope="module")
def soundfont() -> SoundFont:
    found = find_soundfont()
    if found is None:
        pytest.skip(
            "no SoundFont: install Debian's fluid-soundfont-gm and `pip install --no-deps tinysoundfont`"
        )
    return found


def test_soundfont_render_lasts_the_beats_and_sounds_the_pitch(soundfont: SoundFont) -> None:
    a4 = render_soundfont([Note(0.0, 2.0, 69)], [0], 60, 2, soundfont, rate=44_100)  # piano
    assert len(a4) == 2 * 44_100 and np.abs(a4).max() == pytest.approx(0.8)
    spectrum = np.abs(np.fft.rfft(a4))
    assert np.argmax(spectrum) * 44_100 / len(a4) == pytest.approx(440, abs=2)


def test_soundfont_render_does_not_depend_on_the_render_before(soundfont: SoundFont) -> None:
    """The same notes give the same samples, also after a render of other notes and instruments."""
    first = render_soundfont(NOTES, [19, 19], 90, 4, soundfont, 44_100)
    render_soundfont([Note(0.0, 4.0, 50, 0), Note(0.0, 4.0, 62, 1)], [52, 52], 90, 4, soundfont, 44_100)
    np.testing.assert_array_equal(render_soundfont(NOTES, [19, 19], 90, 4, soundfont, 44_100), first)


def test_programs_choose_the_instruments(soundfont: SoundFont) -> None:
    organ = render_soundfont(NOTES, [19, 19], 90, 4, soundfont, 44_100)
    strings = render_soundfont(NOTES, [40, 42], 90, 4, soundfont, 44_100)
    assert np.abs(organ - strings).max() > 0.1


def test_midi_tracks_take_one_program_per_voice() -> None:
    mido = pytest.importorskip("mido")
    midi = mido.MidiFile(file=io.BytesIO(write_midi(NOTES, ["Soprano", "Bass"], 72, program=[40, 42])))
    programs = [m.program for t in midi.tracks for m in t if m.type == "program_change"]
    assert programs == [40, 42]
    with pytest.raises(ValueError, match="3 programs for 2 voices"):
        write_midi(NOTES, ["Soprano", "Bass"], 72, program=[1, 2, 3])
