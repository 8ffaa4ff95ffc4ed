"""Notes to Standard MIDI File bytes and back, deterministically (mido only).

A ``Note`` is a pitch sounding from ``start`` to ``end`` (in beats, i.e. quarter notes) in one
``voice``; each voice is one track of a type-1 file, after a conductor track with the tempo and
the time signature. Provenance meta events are not written here: the engine stamps them
(:mod:`aigc.core.provenance`). Files are read as MusPy reads them (``muspy.read_midi``), so that
measures of the notes can follow MusPy's definitions exactly.
"""

from __future__ import annotations

import io
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9  # MIDI channel 10 (General MIDI percussion), numbered from 0 as mido does


@dataclass(frozen=True, order=True)
class Note:
    """One note: ``start`` and ``end`` in beats (quarter notes), MIDI ``pitch`` 0-127, ``voice`` index;
    ``drum`` for a note of the percussion channel, whose "pitch" names an instrument."""

    start: float
    end: float
    pitch: int
    voice: int = 0
    drum: bool = False


def write_midi(
    notes: Sequence[Note],
    voice_names: Sequence[str],
    tempo_bpm: float,
    beats_per_bar: int = 4,
    program: int | Sequence[int] = 19,
) -> bytes:
    """A type-1 MIDI file: a conductor track, then one track (and channel) per entry of ``voice_names``.

    ``program`` is the General MIDI instrument of every voice (19 = church organ), or one per voice.
    """
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=beats_per_bar, denominator=4, time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    midi.tracks.append(conductor)
    programs = [program] * len(voice_names) if isinstance(program, int) else list(program)
    if len(programs) != len(voice_names):
        raise ValueError(f"{len(programs)} programs for {len(voice_names)} voices")
    for voice, name in enumerate(voice_names):
        events: list[tuple[int, int, int]] = []  # (tick, 0 = off before 1 = on, pitch)
        for note in notes:
            if note.voice == voice:
                events.append((round(note.start * TICKS_PER_BEAT), 1, note.pitch))
                events.append((round(note.end * TICKS_PER_BEAT), 0, note.pitch))
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        track.append(mido.Message("program_change", channel=voice, program=programs[voice], time=0))
        now = 0
        for tick, on, pitch in sorted(events):
            kind = "note_on" if on else "note_off"
            track.append(
                mido.Message(kind, channel=voice, note=pitch, velocity=80 if on else 0, time=tick - now)
            )
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def read_midi(data: bytes) -> tuple[list[Note], float]:
    """The notes of a MIDI file (voice = track index among tracks with notes) and its first tempo (bpm).

    As ``muspy.read_midi``: a note-off (or a note-on of velocity 0) closes the earliest open note of
    its channel and pitch, notes of zero length are kept, notes still open at the end of their track
    end there, and notes of channel 10 are ``drum`` notes. Raises ``ValueError`` when the bytes are
    not a MIDI file.
    """
    import mido

    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as error:
        raise ValueError(f"not a readable MIDI file: {error}") from None
    tempo = None
    notes: list[Note] = []
    voice = 0
    scale = 1.0 / midi.ticks_per_beat
    for track in midi.tracks:
        tick = 0
        sounding: defaultdict[tuple[int, int], deque[int]] = defaultdict(deque)
        found: list[tuple[int, int, int, int]] = []  # (start, end, channel, pitch) in ticks
        for message in track:
            tick += message.time
            if message.type == "set_tempo" and tempo is None:
                tempo = mido.tempo2bpm(message.tempo)
            elif message.type == "end_of_track":
                break
            elif message.type in ("note_on", "note_off"):
                key = (message.channel, message.note)
                if message.type == "note_on" and message.velocity > 0:
                    sounding[key].append(tick)
                elif sounding[key]:
                    found.append((sounding[key].popleft(), tick, *key))
        found += [(start, tick, *key) for key, starts in sounding.items() for start in starts]
        notes += [
            Note(start * scale, end * scale, pitch, voice, drum=channel == DRUM_CHANNEL)
            for start, end, channel, pitch in found
        ]
        voice += bool(found)
    return sorted(notes), float(tempo or 120.0)
