"""The ``music-memorization`` evaluator on the shipped index: copies are caught, new music is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from aigc.core.errors import ModelIntegrityError
from aigc.core.midi import Note, write_midi
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem, Evaluator
from aigc.plugins.music_memorization import INDEX_DIR, build_evaluator
from aigc.plugins.music_memorization.index import (
    INDEX_FILE,
    MAX_EIGHTHS,
    MAX_INTERVAL,
    MelodyIndex,
    voice_codes,
)
from aigc.plugins.music_memorization.options import MemorizationOptions


@pytest.fixture(scope="module")
def evaluator(runtime: ModelRuntime) -> Evaluator:
    built = build_evaluator(PluginContext(runtime))
    assert isinstance(built, Evaluator)
    return built


def notes_from_codes(codes: np.ndarray, first_pitch: int, voice: int = 0) -> list[Note]:
    """A line whose codes are ``codes`` (its first note lasts one beat)."""
    notes, pitch, time = [Note(0.0, 1.0, first_pitch, voice)], first_pitch, 1.0
    for code in codes.tolist():
        interval = code // (MAX_EIGHTHS + 1) - MAX_INTERVAL - 1
        length = (code % (MAX_EIGHTHS + 1)) / 2
        pitch += interval
        notes.append(Note(time, time + length, pitch, voice))
        time += length
    return notes


def item(notes: list[Note]) -> EvalItem:
    data = write_midi(notes, ["Soprano", "Alto", "Tenor", "Bass"], tempo_bpm=90)
    return EvalItem(ArtifactData("audio/midi", data=data), None, "music-transformer", {})


def training_line(voice: int) -> tuple[np.ndarray, str]:
    index = MelodyIndex.load(INDEX_DIR / INDEX_FILE)
    chosen = (index.chorale_ids == 0) & (index.voices == voice)
    return index.codes[chosen], index.names[0]


def test_voice_codes_are_interval_and_length_pairs() -> None:
    line = [Note(0, 1, 60), Note(1, 1.5, 62), Note(1.5, 3.5, 59), Note(0, 4, 40, voice=1)]
    assert voice_codes(line, 0).tolist() == [(2 + 64) * 64 + 1, (-3 + 64) * 64 + 4]


def test_a_copied_training_line_is_flagged_in_any_voice_and_key(evaluator: Evaluator) -> None:
    codes, name = training_line(voice=3)
    for first_pitch, voice in ((48, 3), (67, 0)):  # as written-ish, and transposed into the soprano
        notes = notes_from_codes(codes, first_pitch, voice)
        [[result]] = evaluator.evaluate([item(notes)], MemorizationOptions())
        assert result.value is not None and result.value >= len(codes)
        assert result.passed is False and "copy" in result.reason
        assert result.details["chorale"] == name


def test_the_longest_run_is_exact_when_only_part_of_a_line_is_copied(evaluator: Evaluator) -> None:
    codes, _ = training_line(voice=0)
    part = codes[:10]
    leap = np.asarray([(40 + MAX_INTERVAL + 1) * (MAX_EIGHTHS + 1) + 5])  # a 40-semitone leap: in no chorale
    notes = notes_from_codes(np.concatenate([leap, part, leap]), 30)
    [[result]] = evaluator.evaluate([item(notes)], MemorizationOptions(max_shared=10))
    assert result.value is not None and result.value >= 10 and result.passed is True


def test_a_random_line_shares_only_a_short_run(evaluator: Evaluator) -> None:
    rng = np.random.default_rng(0)
    pitches = 60 + np.cumsum(rng.integers(-4, 5, 40))
    notes = [Note(i * 0.5, i * 0.5 + 0.5, int(p)) for i, p in enumerate(pitches)]
    [[result]] = evaluator.evaluate([item(notes)], MemorizationOptions())
    assert result.value is not None and result.value < 8 and result.passed is True


def test_a_file_without_notes_passes_with_a_clear_reason(evaluator: Evaluator) -> None:
    [[result]] = evaluator.evaluate([item([])], MemorizationOptions())
    assert result.value == 0 and result.passed is True and "no notes" in result.reason


def test_a_tampered_index_is_refused(tmp_path: Path, runtime: ModelRuntime) -> None:
    folder = tmp_path / "index"
    shutil.copytree(INDEX_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    data = bytearray((folder / INDEX_FILE).read_bytes())
    data[-10] ^= 0xFF
    (folder / INDEX_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError):
        build_evaluator(PluginContext(runtime), folder)
