"""The ``music-metrics`` evaluator: known answers on hand-made pieces, MusPy's own numbers on the
same files, and the edge cases."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from aigc.core.midi import Note, read_midi, write_midi
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem
from aigc.plugins.music_metrics import build_evaluator
from aigc.plugins.music_metrics.evaluator import METRICS
from aigc.plugins.music_metrics.metrics import (
    empty_beat_rate,
    parallel_fifths_and_octaves,
    pitch_class_entropy,
    pitch_range,
    polyphony_rate,
    scale_consistency,
)
from aigc.plugins.music_metrics.options import MusicMetricsOptions
from tests.midi_files import Event, midi_file, track

VOICES = ["Soprano", "Alto", "Tenor", "Bass"]


def line(pitches: list[int], voice: int = 0, start: float = 0.0) -> list[Note]:
    return [Note(start + i, start + i + 1, p, voice) for i, p in enumerate(pitches)]


def item(notes: list[Note]) -> EvalItem:
    data = write_midi(notes, VOICES, tempo_bpm=100)
    return EvalItem(ArtifactData("audio/midi", data=data), None, "music-transformer", {})


def test_pitch_class_entropy_is_zero_for_one_class_and_log2_12_for_all_twelve() -> None:
    assert pitch_class_entropy(line([60, 72, 48])) == 0
    assert pitch_class_entropy(line(list(range(60, 72)))) == pytest.approx(math.log2(12))
    assert pitch_class_entropy(line([60, 62])) == pytest.approx(1.0)


def test_scale_consistency_is_the_best_fraction_over_all_major_and_minor_scales() -> None:
    assert scale_consistency(line([62, 64, 66, 67, 69, 71, 73])) == 1.0  # D major
    assert scale_consistency(line([60, 61, 62, 63])) == 0.75  # no scale holds four chromatic steps


def test_empty_beat_rate_counts_the_beat_a_note_ends_in_and_the_beat_after_the_last() -> None:
    assert empty_beat_rate(line([60, 62])) == 0.0  # beats 0, 1 and 2 all sound
    assert empty_beat_rate([Note(0, 1, 60), Note(3, 4, 60)]) == pytest.approx(1 / 5)  # beat 2 of 0-4
    assert empty_beat_rate([Note(0, 0.5, 60), Note(3.5, 4, 60)]) == pytest.approx(2 / 5)  # beats 1, 2


def test_drum_notes_count_for_empty_beats_only() -> None:
    notes = [Note(0, 1, 60), Note(0, 1, 64), Note(0, 4, 36, drum=True), Note(0, 1, 38, drum=True)]
    assert empty_beat_rate(notes) == 0.0
    assert empty_beat_rate(notes[:2]) == 0.0
    assert polyphony_rate(notes, threshold=1) == pytest.approx(1 / 4)  # the drum's length counts
    assert pitch_range(notes) == 4
    assert pitch_class_entropy(notes) == pytest.approx(1.0)
    assert scale_consistency([*notes, Note(0, 1, 61, drum=True)]) == 1.0


def test_polyphony_rate_is_the_share_of_time_with_more_than_threshold_pitches() -> None:
    two = [*line([60, 62, 64, 65]), Note(0, 2, 48, 1)]
    assert polyphony_rate(two) == 0.0  # never more than two pitches
    assert polyphony_rate(two, threshold=1) == 0.5
    three = [*two, Note(0, 1, 55, 2)]
    assert polyphony_rate(three) == 0.25
    assert polyphony_rate([*line([60]), Note(0, 1, 60, 1), Note(0, 1, 60, 2)], threshold=1) == 0.0


def test_the_measures_of_time_are_undefined_for_a_piece_of_zero_length() -> None:
    assert math.isnan(empty_beat_rate([Note(0, 0, 60)]))
    assert math.isnan(polyphony_rate([Note(0, 0, 60)]))


def test_pitch_range_is_highest_minus_lowest() -> None:
    assert pitch_range([*line([60, 79]), Note(0, 1, 43, 3)]) == 36


def _random_track(rng: random.Random, channel: int) -> list[Event]:
    notes = []
    for _ in range(rng.randint(1, 12)):
        start = rng.randrange(0, 480 * 12, 40)
        notes.append((start, start + rng.choice([0, 40, 120, 480, 500, 960]), rng.randint(36, 84)))
    return track(notes, channel)


CHORALE = [track([(0, 480, 67), (480, 960, 69), (960, 1920, 71)]), track([(0, 960, 60), (960, 1920, 55)], 1)]
RNG = random.Random(7)
PIECES = {
    "notes ending on beats": midi_file(*CHORALE),
    "silent beats and a rest at the start": midi_file(track([(960, 1440, 60), (2880, 3840, 64)])),
    "a drum track longer than the rest": midi_file(*CHORALE, track([(0, 120, 36), (2400, 2880, 42)], 9)),
    "repeated, overlapping and zero-length notes": midi_file(
        [(0, 0, 60, 80), (240, 0, 60, 80), (480, 0, 60, 0), (480, 0, 64, 80), (480, 0, 64, 0)],
        track([(0, 720, 67), (120, 121, 72)]),
    ),
    "off the sixteenth grid, 96 ticks a beat": midi_file(
        track([(0, 37, 60), (37, 100, 62), (50, 250, 65)]), ticks_per_beat=96
    ),
    **{
        f"random piece {i}": midi_file(*(_random_track(RNG, c) for c in (0, 1, 2, 9)[: i + 1]))
        for i in range(4)
    },
}


@pytest.mark.parametrize("name", PIECES)
def test_measures_equal_muspys_own_on_the_same_file(name: str, tmp_path: Path) -> None:
    muspy = pytest.importorskip("muspy")
    path = tmp_path / "piece.mid"
    path.write_bytes(PIECES[name])
    music = muspy.read_midi(path)
    notes, _ = read_midi(PIECES[name])
    ours = [
        pitch_class_entropy(notes),
        scale_consistency(notes),
        empty_beat_rate(notes),
        polyphony_rate(notes),
    ]
    theirs = [
        muspy.pitch_class_entropy(music),
        muspy.scale_consistency(music),
        muspy.empty_beat_rate(music),
        muspy.polyphony_rate(music),
    ]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    assert polyphony_rate(notes, threshold=1) == pytest.approx(muspy.polyphony_rate(music, 1), abs=1e-12)
    assert pitch_range(notes) == muspy.pitch_range(music)


def test_parallel_fifths_and_octaves_are_counted_contrary_motion_is_not() -> None:
    fifths = [*line([67, 69]), *line([60, 62], voice=3)]  # C-G to D-A, both up
    octaves = [*line([72, 74]), *line([60, 62], voice=3)]
    contrary = [*line([67, 64], voice=0), *line([60, 57], voice=3)]  # fifth to fifth... both down: parallel
    oblique = [*line([67, 67]), *line([60, 62], voice=3)]  # fifth to fourth, one voice still
    fourths = [*line([65, 67]), *line([60, 62], voice=3)]
    assert parallel_fifths_and_octaves(fifths) == (1, 0)
    assert parallel_fifths_and_octaves(octaves) == (0, 1)
    assert parallel_fifths_and_octaves(contrary) == (1, 0)
    assert parallel_fifths_and_octaves(oblique) == (0, 0)
    assert parallel_fifths_and_octaves(fourths) == (0, 0)
    crossing = [*line([67, 69], voice=0), *line([74, 76], voice=3)]  # a fifth below the "bass"
    assert parallel_fifths_and_octaves(crossing) == (1, 0)


def test_the_evaluator_reports_every_metric_and_judges_voice_leading(runtime: ModelRuntime) -> None:
    evaluator = build_evaluator(PluginContext(runtime))
    notes = [*line([67, 69, 71, 72]), *line([60, 62, 64, 65], voice=3)]
    [results] = evaluator.evaluate([item(notes)], MusicMetricsOptions(max_parallels=1))
    by_metric = {r.metric: r for r in results}
    assert list(by_metric) == list(METRICS)
    assert by_metric["parallel_fifths"].value == 3 and by_metric["parallel_fifths"].passed is False
    assert by_metric["scale_consistency"].score == by_metric["scale_consistency"].value == 1.0
    assert by_metric["pitch_range"].score is None and by_metric["pitch_range"].value == 12


def test_a_file_without_notes_gives_a_clear_result_not_a_crash(runtime: ModelRuntime) -> None:
    drums_only = EvalItem(ArtifactData("audio/midi", data=midi_file(track([(0, 480, 36)], 9))), None, "x", {})
    for piece in (item([]), drums_only):
        [results] = build_evaluator(PluginContext(runtime)).evaluate([piece], MusicMetricsOptions())
        assert [r.metric for r in results] == list(METRICS)
        assert all(r.value is None and r.passed is False and "no notes" in r.reason for r in results)


def test_a_piece_of_zero_length_has_no_measures_of_time(runtime: ModelRuntime) -> None:
    [results] = build_evaluator(PluginContext(runtime)).evaluate(
        [item([Note(0, 0, 60)])], MusicMetricsOptions()
    )
    by_metric = {r.metric: r for r in results}
    assert by_metric["pitch_range"].value == 0
    for metric in ("empty_beat_rate", "polyphony_rate"):
        assert by_metric[metric].value is None and "zero length" in by_metric[metric].reason


def test_bytes_that_are_not_midi_are_an_error_on_that_item_only(runtime: ModelRuntime) -> None:
    bad = EvalItem(ArtifactData("audio/midi", data=b"not midi"), None, "x", {})
    evaluator = build_evaluator(PluginContext(runtime))
    bad_results, good_results = evaluator.evaluate([bad, item(line([60]))], MusicMetricsOptions())
    assert bad_results[0].error and "MIDI" in bad_results[0].error
    assert len(good_results) == len(METRICS)
