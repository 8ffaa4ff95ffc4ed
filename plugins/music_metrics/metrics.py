"""Symbolic-music measures of a list of notes (numpy only), with MusPy's definitions.

The first five are MusPy's (Dong et al., 2020, ``muspy.metrics``, version 0.5.0), computed on the
notes ``aigc.core.midi.read_midi`` reads as ``muspy.read_midi`` does: drum notes are left out of
every measure but the empty-beat rate, and times are in beats (quarter notes, MusPy's
``resolution`` ticks) instead of ticks, which gives MusPy's numbers up to float rounding. The
functions of pitches expect at least one pitched (non-drum) note; ``music_metrics.evaluator``
reports a piece without one separately. The measures of time are NaN for a piece of zero length,
as in MusPy.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import combinations, pairwise

import numpy as np

from aigc.core.sdk import Note

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor, as MusPy's ``scale_consistency``
STEPS_PER_BEAT = 4  # sampling grid of voice leading: sixteenth notes


def pitched(notes: Sequence[Note]) -> list[Note]:
    """The notes that are not drum notes."""
    return [n for n in notes if not n.drum]


def pitch_class_entropy(notes: Sequence[Note]) -> float:
    """MusPy ``pitch_class_entropy``: Shannon entropy (bits) of the normalised pitch-class histogram
    of the pitched notes; 0 for one pitch class, log2(12) ≈ 3.585 for all twelve equally often."""
    counts = np.bincount([n.pitch % 12 for n in pitched(notes)], minlength=12).astype(np.float64)
    probabilities = counts[counts > 0] / counts.sum()
    return float(-(probabilities * np.log2(probabilities)).sum())


def scale_consistency(notes: Sequence[Note]) -> float:
    """MusPy ``scale_consistency``: the largest fraction of pitched notes that belong to one major
    or minor scale, over all 24 (12 tonics x 2 modes)."""
    classes = np.asarray([n.pitch % 12 for n in pitched(notes)])
    best = 0.0
    for tonic in range(12):
        for scale in (MAJOR, MINOR):
            members = [(tonic + degree) % 12 for degree in scale]
            best = max(best, float(np.isin(classes, members).mean()))
    return best


def empty_beat_rate(notes: Sequence[Note]) -> float:
    """MusPy ``empty_beat_rate``: the fraction of beats in which no note (drums included) sounds.

    The beats are 0 to ``floor(length)`` inclusive, ``length`` being the end of the last note, and a
    note sounds in every beat from the one it starts in to the one it ends in, that one included
    (a note from beat 0 to 1 sounds in beats 0 and 1).
    """
    length = max(n.end for n in notes)
    if length <= 0:
        return math.nan
    beats = math.floor(length) + 1
    sounding = np.zeros(beats, dtype=bool)
    for note in notes:
        sounding[math.floor(note.start) : math.floor(note.end) + 1] = True
    return float(1.0 - sounding.sum() / beats)


def sounding_pitches(notes: Sequence[Note]) -> list[list[Note]]:
    """For each sixteenth-note step up to the last note's end, the notes sounding at its start."""
    steps = math.ceil(max(n.end for n in notes) * STEPS_PER_BEAT)
    table: list[list[Note]] = [[] for _ in range(steps)]
    for note in notes:
        for step in range(round(note.start * STEPS_PER_BEAT), round(note.end * STEPS_PER_BEAT)):
            table[step].append(note)
    return table


def polyphony_rate(notes: Sequence[Note], threshold: int = 2) -> float:
    """MusPy ``polyphony_rate``: the fraction of the piece's length (the end of its last note, drums
    included) during which more than ``threshold`` distinct pitches (drums left out) sound."""
    length = max(n.end for n in notes)
    if length <= 0:
        return math.nan
    changes: defaultdict[float, Counter[int]] = defaultdict(Counter)
    for note in pitched(notes):
        changes[note.start][note.pitch] += 1
        changes[note.end][note.pitch] -= 1
    times = sorted(changes)
    sounding: Counter[int] = Counter()
    polyphonic = 0.0
    for time, following in pairwise(times):
        sounding.update(changes[time])
        if sum(count > 0 for count in sounding.values()) > threshold:
            polyphonic += following - time
    return polyphonic / length


def pitch_range(notes: Sequence[Note]) -> int:
    """MusPy ``pitch_range``: highest minus lowest pitch of the pitched notes, in semitones."""
    pitches = [n.pitch for n in pitched(notes)]
    return max(pitches) - min(pitches)


def parallel_fifths_and_octaves(notes: Sequence[Note]) -> tuple[int, int]:
    """Counts of parallel perfect fifths and of parallel octaves/unisons between voices.

    Not in MusPy; the textbook rule: at each change of harmony (a sixteenth step where any
    note starts), for every pair of voices sounding both before and after, both voices move in
    the same direction and the distance between them, in semitones modulo 12, is 7 (fifth) or 0 (octave or
    unison) both before and after. A voice is the note's ``voice`` (one MIDI track each); drum
    notes are left out.
    """
    table = sounding_pitches(pitched(notes))
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
