"""Symbolic-music measures of a list of notes (numpy only), with MusPy's definitions.

MusPy (Dong et al., 2020, ``muspy.metrics``) defines the first five; times here are in beats
(quarter notes) instead of MIDI ticks, which changes nothing for on-grid music. Every function
expects at least one note; ``music_metrics.evaluator`` reports an empty piece separately.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from aigc.core.sdk import Note

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor, as MusPy's ``scale_consistency``
STEPS_PER_BEAT = 4  # sampling grid of polyphony_rate and voice leading: sixteenth notes


def pitch_class_entropy(notes: Sequence[Note]) -> float:
    """MusPy ``pitch_class_entropy``: Shannon entropy (bits) of the normalised pitch-class histogram
    of all notes; 0 for one pitch class, log2(12) ≈ 3.585 for all twelve equally often."""
    counts = np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(np.float64)
    probabilities = counts[counts > 0] / counts.sum()
    return float(-(probabilities * np.log2(probabilities)).sum())


def scale_consistency(notes: Sequence[Note]) -> float:
    """MusPy ``scale_consistency``: the largest fraction of notes that belong to one major or minor
    scale, over all 24 (12 tonics x 2 modes)."""
    classes = np.asarray([n.pitch % 12 for n in notes])
    best = 0.0
    for tonic in range(12):
        for scale in (MAJOR, MINOR):
            members = [(tonic + degree) % 12 for degree in scale]
            best = max(best, float(np.isin(classes, members).mean()))
    return best


def empty_beat_rate(notes: Sequence[Note], total_beats: float | None = None) -> float:
    """MusPy ``empty_beat_rate``: the fraction of beats in which no note sounds.

    Beats run from 0 to ``total_beats`` (default: the end of the last note, rounded up).
    """
    beats = math.ceil(total_beats if total_beats is not None else max(n.end for n in notes))
    if beats <= 0:
        return 0.0
    sounding = np.zeros(beats, dtype=bool)
    for note in notes:
        sounding[math.floor(note.start) : max(math.ceil(note.end), math.floor(note.start) + 1)] = True
    return float(1.0 - sounding[:beats].mean())


def sounding_pitches(notes: Sequence[Note]) -> list[list[Note]]:
    """For each sixteenth-note step up to the last note's end, the notes sounding at its start."""
    steps = math.ceil(max(n.end for n in notes) * STEPS_PER_BEAT)
    table: list[list[Note]] = [[] for _ in range(steps)]
    for note in notes:
        for step in range(round(note.start * STEPS_PER_BEAT), round(note.end * STEPS_PER_BEAT)):
            table[step].append(note)
    return table


def polyphony_rate(notes: Sequence[Note], threshold: int = 2) -> float:
    """MusPy ``polyphony_rate``: the fraction of time steps (sixteenths) in which at least
    ``threshold`` distinct pitches sound."""
    table = sounding_pitches(notes)
    return float(np.mean([len({n.pitch for n in step}) >= threshold for step in table]))


def pitch_range(notes: Sequence[Note]) -> int:
    """MusPy ``pitch_range``: highest minus lowest pitch, in semitones."""
    pitches = [n.pitch for n in notes]
    return max(pitches) - min(pitches)


def parallel_fifths_and_octaves(notes: Sequence[Note]) -> tuple[int, int]:
    """Counts of parallel perfect fifths and of parallel octaves/unisons between voices.

    Not in MusPy; the textbook rule: at each change of harmony (a sixteenth step where any
    note starts), for every pair of voices sounding both before and after, both voices move in
    the same direction and the distance between them, in semitones modulo 12, is 7 (fifth) or 0 (octave or
    unison) both before and after. A voice is the note's ``voice`` (one MIDI track each).
    """
    table = sounding_pitches(notes)
    fifths = octaves = 0
    previous: dict[int, int] | None = None
    for step, sounding in enumerate(table):
        current = {n.voice: n.pitch for n in sounding}
        changed = any(round(n.start * STEPS_PER_BEAT) == step for n in sounding)
        if previous is not None and changed:
            for a, b in combinations(sorted(set(previous) & set(current)), 2):
                move_a, move_b = current[a] - previous[a], current[b] - previous[b]
                if move_a == 0 or move_b == 0 or (move_a > 0) != (move_b > 0):
                    continue
                before, after = abs(previous[a] - previous[b]) % 12, abs(current[a] - current[b]) % 12
                fifths += before == after == 7
                octaves += before == after == 0
        if changed or previous is None:
            previous = current
    return fifths, octaves
