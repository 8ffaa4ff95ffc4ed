"""Is an artifact a valid file of its media type? PNG decodes, WAV and MIDI parse, text is UTF-8."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Callable

from aigc.core.specs import ArtifactData


def _png(data: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format != "PNG":
            raise ValueError(f"expected a PNG, Pillow reads {image.format}")
        image.load()


def _wav(data: bytes) -> None:
    with wave.open(io.BytesIO(data)) as audio:
        if audio.getnframes() < 1:
            raise ValueError("the WAV file has no frames")
        audio.readframes(audio.getnframes())


def _midi(data: bytes) -> None:
    """Header chunk, then exactly the announced number of ``MTrk`` chunks, each within the file."""
    if data[:4] != b"MThd" or len(data) < 14:
        raise ValueError("a MIDI file starts with an MThd chunk")
    length, _, tracks, _ = struct.unpack(">IHHH", data[4:14])
    offset, found = 8 + length, 0
    while offset < len(data):
        kind, size = data[offset : offset + 4], struct.unpack(">I", data[offset + 4 : offset + 8])[0]
        if offset + 8 + size > len(data):
            raise ValueError(f"MIDI chunk {kind!r} at byte {offset} runs past the end of the file")
        found += kind == b"MTrk"
        offset += 8 + size
    if found != tracks:
        raise ValueError(f"the MIDI header announces {tracks} tracks, the file has {found}")


_CHECKS: dict[str, Callable[[bytes], None]] = {
    "image/png": _png,
    "audio/wav": _wav,
    "audio/x-wav": _wav,
    "audio/midi": _midi,
    "audio/x-midi": _midi,
}


def check_artifact(artifact: ArtifactData) -> None:
    """Raise ``ValueError`` unless ``artifact`` is a valid, non-empty file of its media type."""
    if artifact.text is not None:
        artifact.text.encode("utf-8")  # lone surrogates cannot be stored
    elif artifact.media_type.startswith("text/"):
        (artifact.data or b"").decode("utf-8")
    if not artifact.payload:
        raise ValueError(f"{artifact.media_type} artifact is empty")
    check = _CHECKS.get(artifact.media_type.split(";")[0].strip())
    if check is not None:
        check(artifact.payload)
