"""The chorale token encoding: an eighth-note grid, one token per voice per step (numpy only).

A chorale is a grid of ``steps`` x 4 voices (soprano, alto, tenor, bass). Each cell is

- ``HOLD`` (0): the voice's previous note (or rest) goes on;
- ``REST`` (1): the voice is silent;
- a pitch token ``PITCH_BASE + midi - MIN_PITCH``: a note starts here.

A sequence is a key token (tonic pitch class and mode) followed by the grid in step-major order
(S, A, T, B of step 0, then of step 1, ...), so the soprano of a step is decided before the
voices that harmonise it. 8 steps make a 4/4 bar, so a bar is 32 tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import Note

VOICES = ("Soprano", "Alto", "Tenor", "Bass")
STEPS_PER_BEAT = 2
BEATS_PER_BAR = 4
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR
TOKENS_PER_BAR = STEPS_PER_BAR * len(VOICES)
HOLD, REST = 0, 1
KEY_BASE = 2  # 24 key tokens: KEY_BASE + 12 * mode + tonic pitch class
MODES = ("major", "minor")
PITCH_BASE = KEY_BASE + 12 * len(MODES)
MIN_PITCH, MAX_PITCH = 28, 90
VOCAB_SIZE = PITCH_BASE + MAX_PITCH - MIN_PITCH + 1
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def key_token(tonic: int, mode: str) -> int:
    """The token of a key: ``tonic`` is a pitch class (0 = C), ``mode`` 'major' or 'minor'."""
    return KEY_BASE + 12 * MODES.index(mode) + tonic % 12


def pitch_token(pitch: int) -> int:
    """The token that starts a note of MIDI ``pitch`` (``MIN_PITCH``..``MAX_PITCH``)."""
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise ValueError(f"pitch {pitch} is outside {MIN_PITCH}..{MAX_PITCH}")
    return PITCH_BASE + pitch - MIN_PITCH


def token_pitch(token: int) -> int | None:
    """The MIDI pitch a token starts, or None for hold, rest and key tokens."""
    return MIN_PITCH + token - PITCH_BASE if token >= PITCH_BASE else None


def grid_to_notes(grid: np.ndarray) -> list[Note]:
    """Notes of a ``(steps, voices)`` token grid; times in beats.

    A token that starts no note and is not ``REST`` (``HOLD``, or a key token where the model
    should have put a note) continues what the voice was doing.
    """
    notes = []
    for voice in range(grid.shape[1]):
        pitch, start = None, 0
        for step, token in enumerate(grid[:, voice].tolist()):
            new = token_pitch(token)
            if new is None and token != REST:
                continue
            if pitch is not None:
                notes.append(Note(start / STEPS_PER_BEAT, step / STEPS_PER_BEAT, pitch, voice))
            pitch, start = new, step
        if pitch is not None:
            notes.append(Note(start / STEPS_PER_BEAT, len(grid) / STEPS_PER_BEAT, pitch, voice))
    return sorted(notes)


def note_name(pitch: int) -> str:
    """Scientific pitch name, e.g. 60 -> 'C4'."""
    return f"{PITCH_NAMES[pitch % 12]}{pitch // 12 - 1}"


def grid_text(grid: np.ndarray) -> str:
    """One line per voice: ``name:eighths`` per note (``r`` for rests), bars separated by ``|``.

    A note held across a bar line is written in each bar, the first part tied with ``-`` as in
    ABC notation (``E5:4- | E5:6``): a hold continues what the voice was doing, as in
    ``grid_to_notes``, so the text and the MIDI file agree.
    """
    lines = []
    for voice, name in enumerate(VOICES):
        column = grid[:, voice].tolist()
        parts: list[str] = []
        pitch: int | None = None  # what the voice is doing: a pitch, or None for a rest
        step = 0
        while step < len(column):
            starts = token_pitch(column[step])
            if starts is not None or column[step] == REST:
                pitch = starts
            end = step + 1
            while end < len(column) and end % STEPS_PER_BAR and token_pitch(column[end]) is None:
                if column[end] == REST and pitch is not None:
                    break
                end += 1
            label = "r" if pitch is None else note_name(pitch)
            tied = pitch is not None and end < len(column) and _continues(column[end])
            parts.append(f"{label}:{end - step}{'-' if tied else ''}")
            if end % STEPS_PER_BAR == 0 and end < len(column):
                parts.append("|")
            step = end
        lines.append(f"{name[0]}  {' '.join(parts)}")
    return "\n".join(lines)


def _continues(token: int) -> bool:
    """Whether ``token`` carries on the voice's note (a hold, or a stray key token)."""
    return token != REST and token_pitch(token) is None


def sequence(key: int, grid: np.ndarray) -> np.ndarray:
    """The model's token sequence of a grid: key token, then the grid step by step."""
    return np.concatenate([[key], grid.reshape(-1)]).astype(np.int64)


def melody_tokens(melody: Sequence[tuple[int | None, int]]) -> list[int]:
    """Soprano tokens of a melody given as ``(MIDI pitch or None for a rest, length in steps)``."""
    tokens = []
    for pitch, steps in melody:
        first = REST if pitch is None else pitch_token(pitch)
        tokens += [first] + [HOLD] * (steps - 1)
    return tokens
