"""Notes to audio with a General MIDI SoundFont (``tinysoundfont``), deterministically.

Debian's ``fluid-soundfont-gm`` installs FluidR3_GM (``/usr/share/sounds/sf2/FluidR3_GM.sf2``,
MIT licence, 189 presets); ``find_soundfont`` looks there. Each voice plays on its own MIDI
channel with its own General MIDI program; note-ons and note-offs fall on exact sample positions,
and the render lasts exactly ``duration_beats`` (notes still sounding are cut at the end, as in
the additive rendering). The stereo mix becomes mono, scaled to a fixed peak.

A loaded SoundFont is kept per process (parsing FluidR3_GM takes about a second); renders share
it one at a time, each from silence (the voices of the previous render are stopped and their quick
fade-out rendered away first), so a render does not depend on the one before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.audio import PEAK
from aigc.core.manifest import sha256_file
from aigc.core.midi import Note

SOUNDFONT_PATHS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"))
VELOCITY = 80
FLUSH_S = 0.25  # "all sounds off" fades voices out quickly rather than at once: let them finish

_lock = threading.Lock()
_loaded: dict[tuple[Path, int], tuple[Any, int]] = {}
_sha256: dict[Path, str] = {}


@dataclass(frozen=True)
class SoundFont:
    """An installed SoundFont file and its sha256 (recorded with every render)."""

    path: Path
    sha256: str


def find_soundfont(paths: Sequence[Path] = SOUNDFONT_PATHS) -> SoundFont | None:
    """The first SoundFont found, or None when none is installed (or ``tinysoundfont`` is missing)."""
    try:
        import tinysoundfont  # noqa: F401
    except ImportError:
        return None
    for path in paths:
        if path.is_file():
            resolved = path.resolve()
            with _lock:
                if resolved not in _sha256:
                    _sha256[resolved] = sha256_file(resolved)
                return SoundFont(resolved, _sha256[resolved])
    return None


def _synth(path: Path, rate: int) -> tuple[Any, int]:
    """A synthesiser with ``path`` loaded at ``rate`` and its SoundFont id (lock held)."""
    key = (path, rate)
    if key not in _loaded:
        import tinysoundfont

        synth = tinysoundfont.Synth(samplerate=rate)
        _loaded[key] = (synth, synth.sfload(str(path)))
    return _loaded[key]


def render_soundfont(
    notes: Sequence[Note],
    programs: Sequence[int],
    tempo_bpm: float,
    duration_beats: float,
    soundfont: SoundFont,
    rate: int,
) -> np.ndarray:
    """float32 mono samples in [-PEAK, PEAK] of ``notes``; voice ``v`` plays General MIDI program
    ``programs[v]`` on channel ``v``."""
    seconds_per_beat = 60.0 / tempo_bpm
    total = round(duration_beats * seconds_per_beat * rate)
    events = []  # (sample, 0 = off before 1 = on, voice, pitch)
    for note in notes:
        start = round(note.start * seconds_per_beat * rate)
        end = min(total, round(note.end * seconds_per_beat * rate))
        if end > start:
            events += [(start, 1, note.voice, note.pitch), (end, 0, note.voice, note.pitch)]
    stereo = np.zeros((total, 2), np.float32)
    with _lock:
        synth, sfid = _synth(soundfont.path, rate)
        synth.sounds_off()  # start from silence whatever the previous render left
        synth.generate(round(FLUSH_S * rate))
        for channel, program in enumerate(programs):
            synth.program_select(channel, sfid, 0, program)
        now = 0
        for sample, on, voice, pitch in sorted(events):
            if sample > now:
                stereo[now:sample] = np.frombuffer(synth.generate(sample - now), np.float32).reshape(-1, 2)
                now = sample
            if on:
                synth.noteon(voice, pitch, VELOCITY)
            else:
                synth.noteoff(voice, pitch)
        if total > now:
            stereo[now:total] = np.frombuffer(synth.generate(total - now), np.float32).reshape(-1, 2)
    mono: np.ndarray = stereo.mean(axis=1, dtype=np.float64)
    peak = float(np.max(np.abs(mono))) if total else 0.0
    if peak > 0:
        mono *= PEAK / peak
    return mono.astype(np.float32)
