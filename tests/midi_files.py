"""Standard MIDI files built message by message with mido, for tests of what reads and measures them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import mido

# (tick, channel, pitch, velocity); velocity 0 is a note-off.
Event = tuple[int, int, int, int]


def track(notes: Iterable[tuple[int, int, int]], channel: int = 0) -> list[Event]:
    """The note-on and note-off events of ``(start tick, end tick, pitch)`` notes on one channel, in
    time order, note-offs first at equal ticks (a repeated pitch ends before it starts again)."""
    events = [
        (tick, channel, pitch, velocity)
        for start, end, pitch in notes
        for tick, velocity in ((start, 80), (end, 0))
    ]
    return sorted(events, key=lambda e: (e[0], e[3] > 0))


def midi_file(*tracks: Sequence[Event], end: int = 0, ticks_per_beat: int = 480) -> bytes:
    """A type-1 file with one track per entry of ``tracks``, each ending at ``end`` or its last event;
    events are put in time order, keeping the given order at equal ticks."""
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    for events in tracks:
        messages = mido.MidiTrack()
        now = 0
        for tick, channel, pitch, velocity in sorted(events, key=lambda e: e[0]):
            kind = "note_on" if velocity else "note_off"
            messages.append(
                mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=tick - now)
            )
            now = tick
        messages.append(mido.MetaMessage("end_of_track", time=max(end - now, 0)))
        midi.tracks.append(messages)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()
