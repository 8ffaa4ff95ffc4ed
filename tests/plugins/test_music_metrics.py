"""The ``music-metrics`` evaluator: known answers on hand-made pieces and the edge cases."""

from __future__ import annotations

import math

import pytest

from aigc.core.midi import Note, write_midi
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


def test_empty_beat_rate_counts_beats_without_sound() -> None:
    assert empty_beat_rate(line([60, 62])) == 0.0
    assert empty_beat_rate([Note(0, 1, 60), Note(3, 4, 60)]) == 0.5


def test_polyphony_rate_is_the_share_of_time_with_two_pitches_or_more() -> None:
    notes = [*line([60, 62, 64, 65]), Note(0, 2, 48, 1)]
    assert polyphony_rate(notes) == 0.5


def test_pitch_range_is_highest_minus_lowest() -> None:
    assert pitch_range([*line([60, 79]), Note(0, 1, 43, 3)]) == 36


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
    [results] = build_evaluator(PluginContext(runtime)).evaluate([item([])], MusicMetricsOptions())
    assert [r.metric for r in results] == list(METRICS)
    assert all(r.value is None and r.passed is False and "no notes" in r.reason for r in results)


def test_bytes_that_are_not_midi_are_an_error_on_that_item_only(runtime: ModelRuntime) -> None:
    bad = EvalItem(ArtifactData("audio/midi", data=b"not midi"), None, "x", {})
    evaluator = build_evaluator(PluginContext(runtime))
    bad_results, good_results = evaluator.evaluate([bad, item(line([60]))], MusicMetricsOptions())
    assert bad_results[0].error and "MIDI" in bad_results[0].error
    assert len(good_results) == len(METRICS)
