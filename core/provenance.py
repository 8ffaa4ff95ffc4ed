"""Provenance written into the artifact files themselves, so a file that leaves aigc says where it came from.

PNG gets ``iTXt`` chunks (UTF-8, uncompressed) inserted before ``IEND``; MIDI gets text meta
events (``FF 01``, ``aigc:<name>=<value>``) at the start of its first track. The bytes are
otherwise untouched. Media types without an embedding keep their provenance in the database only.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Mapping

from aigc.core.specs import ArtifactData

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEY_PREFIX = "aigc:"

Stamper = Callable[[bytes, Mapping[str, str]], bytes]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _itxt(keyword: str, text: str) -> bytes:
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    return _png_chunk(b"iTXt", keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode())


def stamp_png(data: bytes, fields: Mapping[str, str]) -> bytes:
    """Insert one ``iTXt`` chunk per field (keyword ``aigc:<name>``) before the ``IEND`` chunk."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    iend = data.rfind(b"IEND") - 4  # the chunk starts with its 4-byte length
    if iend < len(PNG_SIGNATURE):
        raise ValueError("PNG file has no IEND chunk")
    chunks = b"".join(_itxt(KEY_PREFIX + key, value) for key, value in fields.items())
    return data[:iend] + chunks + data[iend:]


def read_png_text(data: bytes) -> dict[str, str]:
    """The ``aigc:`` text chunks of a PNG, keyed without the prefix."""
    fields: dict[str, str] = {}
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"iTXt":
            keyword, _, rest = body.partition(b"\x00")
            name = keyword.decode("latin-1")
            if name.startswith(KEY_PREFIX):
                text = rest[2:].split(b"\x00", 2)[2]  # skip flags, language tag, translated keyword
                fields[name.removeprefix(KEY_PREFIX)] = text.decode()
        offset += 12 + length
    return fields


MIDI_HEADER, MIDI_TRACK = b"MThd", b"MTrk"
MIDI_TEXT_EVENT = b"\x00\xff\x01"  # delta time 0, meta event, type 1 (text)


def _varlen(value: int) -> bytes:
    """A MIDI variable-length quantity: 7 bits per byte, high bit set on all but the last."""
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def _read_varlen(data: bytes, offset: int) -> tuple[int, int]:
    value = 0
    while True:
        byte = data[offset]
        offset += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, offset


def _first_track(data: bytes) -> int:
    """Offset of the first ``MTrk`` chunk of a Standard MIDI File."""
    if not data.startswith(MIDI_HEADER):
        raise ValueError("not a MIDI file")
    (header_length,) = struct.unpack(">I", data[4:8])
    offset = 8 + int(header_length)
    if data[offset : offset + 4] != MIDI_TRACK:
        raise ValueError("MIDI file has no track chunk after its header")
    return offset


def stamp_midi(data: bytes, fields: Mapping[str, str]) -> bytes:
    """Insert one text meta event ``aigc:<name>=<value>`` per field at the start of the first track."""
    track = _first_track(data)
    events = b""
    for key, value in fields.items():
        text = f"{KEY_PREFIX}{key}={value}".encode()
        events += MIDI_TEXT_EVENT + _varlen(len(text)) + text
    (length,) = struct.unpack(">I", data[track + 4 : track + 8])
    body = events + data[track + 8 : track + 8 + length]
    return data[:track] + MIDI_TRACK + struct.pack(">I", len(body)) + body + data[track + 8 + length :]


def read_midi_text(data: bytes) -> dict[str, str]:
    """The ``aigc:`` text events at the start of a MIDI file's first track, keyed without the prefix."""
    offset = _first_track(data) + 8
    fields: dict[str, str] = {}
    while data[offset : offset + 3] == MIDI_TEXT_EVENT:
        length, offset = _read_varlen(data, offset + 3)
        text = data[offset : offset + length].decode()
        offset += length
        if text.startswith(KEY_PREFIX):
            key, _, value = text.removeprefix(KEY_PREFIX).partition("=")
            fields[key] = value
    return fields


STAMPERS: dict[str, Stamper] = {"image/png": stamp_png, "audio/midi": stamp_midi}


def stamp(artifact: ArtifactData, fields: Mapping[str, str]) -> ArtifactData:
    """The artifact with provenance embedded where its media type allows it."""
    stamper = STAMPERS.get(artifact.media_type)
    if stamper is None or artifact.data is None:
        return artifact
    return ArtifactData(artifact.media_type, data=stamper(artifact.data, fields), metadata=artifact.metadata)
