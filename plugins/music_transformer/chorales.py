"""The Bach chorale dataset from music21's bundled corpus (training time only; needs ``music21``).

``prepare()`` parses every chorale of ``music21.corpus.chorales.Iterator`` once, keeps those in
4/4 with exactly four parts, and caches them as token grids (``tokens.py``) in
``cache/music-transformer/chorales.npz`` of the data folder (``AIGC_HOME``, else ``./aigc-data``). Each
grid starts on a downbeat: a pickup bar is padded with rests. Notes are sampled on the eighth-note grid (a
sixteenth passing note between two eighths is dropped; ties are merged). The key is music21's
Krumhansl-Schmuckler estimate. The held-out split is a seeded ~10% of the chorales.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console

from aigc.core.sdk import PluginContext, training_progress
from aigc.plugins.music_transformer.tokens import (
    HOLD,
    MODES,
    PITCH_BASE,
    REST,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
    VOICES,
    key_token,
    pitch_token,
    token_pitch,
)

CACHE_NAME = "chorales.npz"
SPLIT_SEED = 20240601
HELD_OUT_FRACTION = 0.1


@dataclass(frozen=True)
class Chorale:
    """One chorale: its corpus name, key (tonic pitch class, mode) and ``(steps, 4)`` token grid."""

    name: str
    tonic: int
    mode: str
    grid: np.ndarray

    @property
    def key(self) -> int:
        return key_token(self.tonic, self.mode)

    def transposed(self, semitones: int) -> Chorale:
        """The chorale moved by ``semitones`` (note tokens shift; hold and rest stay)."""
        grid = np.where(self.grid >= PITCH_BASE, self.grid + semitones, self.grid)
        return Chorale(self.name, (self.tonic + semitones) % 12, self.mode, grid)

    def pitches(self, voice: int) -> np.ndarray:
        """MIDI pitches of the notes ``voice`` starts, in order."""
        return np.asarray([p for p in map(token_pitch, self.grid[:, voice].tolist()) if p is not None])


def default_cache() -> Path:
    """``cache/music-transformer`` in the data folder (``AIGC_HOME``, else ``./aigc-data``)."""
    return PluginContext().cache_dir("music-transformer")


def voice_grid(part: object, shift: float, steps: int) -> np.ndarray | None:
    """Tokens of one part on the eighth grid, or None when it holds chords."""
    notes = [n for n in part.stripTies().flatten().notes]  # type: ignore[attr-defined]
    if any(n.isChord for n in notes):
        return None
    onsets = np.asarray([float(n.offset) + shift for n in notes])
    ends = onsets + np.asarray([float(n.quarterLength) for n in notes])
    column = np.full(steps, REST, dtype=np.int16)
    previous = -1
    for step in range(steps):
        time = step / STEPS_PER_BEAT
        index = int(np.searchsorted(onsets, time + 1e-6, side="right")) - 1
        sounding = index >= 0 and ends[index] > time + 1e-6
        if not sounding:
            column[step] = REST if previous != -2 else HOLD
            previous = -2
        elif index == previous:
            column[step] = HOLD
        else:
            column[step] = pitch_token(notes[index].pitch.midi)
            previous = index
    return column


def parse(name: str) -> Chorale | None:
    """One corpus chorale as a grid, or None unless it is in 4/4 with four single-note parts."""
    from music21 import corpus

    score = corpus.parse(name)
    signature = score.recurse().getElementsByClass("TimeSignature").first()
    if len(score.parts) != len(VOICES) or signature is None or signature.ratioString != "4/4":
        return None
    first = score.parts[0].getElementsByClass("Measure").first()
    shift = float(first.paddingLeft) if first is not None else 0.0
    length = float(score.highestTime) + shift
    steps = int(np.ceil(length / 4)) * STEPS_PER_BAR
    columns = [voice_grid(part, shift, steps) for part in score.parts]
    if any(c is None for c in columns):
        return None
    key = score.analyze("key")
    return Chorale(
        name, key.tonic.pitchClass, key.mode if key.mode in MODES else "major", np.stack(columns, 1)
    )


def in_held_out(name: str) -> bool:
    """Whether a chorale belongs to the held-out split (seeded hash of its name)."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < HELD_OUT_FRACTION


def prepare(cache: Path | None = None, console: Console | None = None) -> list[Chorale]:
    """All usable chorales, parsed once and cached (a Rich progress bar shows the first parse)."""
    path = (cache or default_cache()) / CACHE_NAME
    if path.exists():
        return load(path)
    from music21 import corpus

    names = [str(n) for n in corpus.chorales.Iterator(returnType="filename")]
    chorales = []
    with training_progress(console or Console()) as progress:
        task = progress.add_task("parse chorales", total=len(names), status="")
        for name in names:
            chorale = parse(name)
            if chorale is not None:
                chorales.append(chorale)
            progress.update(task, advance=1, status=f"{len(chorales)} kept")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        names=np.asarray([c.name for c in chorales]),
        tonics=np.asarray([c.tonic for c in chorales]),
        modes=np.asarray([c.mode for c in chorales]),
        lengths=np.asarray([len(c.grid) for c in chorales]),
        grids=np.concatenate([c.grid for c in chorales]),
    )
    tmp.replace(path)
    return chorales


def load(path: Path) -> list[Chorale]:
    """Chorales from a cache file written by ``prepare``."""
    data = np.load(path)
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    return [
        Chorale(str(name), int(tonic), str(mode), data["grids"][start:end].astype(np.int64))
        for name, tonic, mode, start, end in zip(
            data["names"], data["tonics"], data["modes"], bounds[:-1], bounds[1:], strict=True
        )
    ]


def split(chorales: list[Chorale]) -> tuple[list[Chorale], list[Chorale]]:
    """``(train, held_out)`` by ``in_held_out``."""
    return [c for c in chorales if not in_held_out(c.name)], [c for c in chorales if in_held_out(c.name)]
