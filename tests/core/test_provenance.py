"""Provenance travels inside PNG files without changing a single pixel."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from aigc.core.provenance import read_png_text, stamp
from aigc.core.specs import ArtifactData


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_png_stamp_round_trips_and_keeps_pixels() -> None:
    pixels = np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)
    fields = {"generator": "image-gan", "seed": "3", "prompt": "Grüße, 世界"}
    stamped = stamp(ArtifactData("image/png", data=_png(pixels)), fields)
    assert stamped.data is not None
    assert read_png_text(stamped.data) == fields
    image = Image.open(io.BytesIO(stamped.data))
    image.load()
    assert image.text["aigc:prompt"] == "Grüße, 世界"  # Pillow reads the chunks too
    assert np.array_equal(np.asarray(image), pixels)


def test_stamping_is_deterministic() -> None:
    data = _png(np.zeros((4, 4), dtype=np.uint8))
    fields = {"key": "abc"}
    assert stamp(ArtifactData("image/png", data=data), fields) == stamp(
        ArtifactData("image/png", data=data), fields
    )


def test_media_types_without_an_embedding_are_unchanged() -> None:
    text = ArtifactData("text/plain", text="hello")
    assert stamp(text, {"key": "abc"}) is text


def test_midi_stamp_round_trips_and_keeps_every_note() -> None:
    mido = __import__("mido")
    from aigc.core.midi import Note, read_midi, write_midi
    from aigc.core.provenance import read_midi_text

    notes = [Note(0.0, 1.0, 60, 0), Note(1.0, 2.5, 64, 0), Note(0.0, 2.5, 48, 1)]
    data = write_midi(notes, ["Soprano", "Bass"], tempo_bpm=90)
    fields = {"generator": "music-transformer", "seed": "1", "prompt": "Grüße " + "x" * 200}
    stamped = stamp(ArtifactData("audio/midi", data=data), fields)
    assert stamped.data is not None
    assert read_midi_text(stamped.data) == fields
    assert read_midi(stamped.data) == read_midi(data)
    texts = [m.text for m in mido.MidiFile(file=io.BytesIO(stamped.data)).tracks[0] if m.type == "text"]
    assert texts[0] == "aigc:generator=music-transformer"  # standard tools see the events
