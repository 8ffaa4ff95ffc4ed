"""Mono 16-bit audio to file bytes (WAV, FLAC, Ogg Opus, MP3, raw PCM) and back, deterministically.

WAV and raw PCM need only the standard library; FLAC, Ogg Opus and MP3 are encoded by libsndfile
through ``soundfile`` (the ``audio`` extra), MP3 only where that libsndfile was built with LAME.
Opus runs at 48 kHz or a divisor of it, so other rates are resampled (polyphase, ``scipy``) to the
next Opus rate. libsndfile gives each Ogg stream a random serial number; it is set to a fixed one
(and each page's checksum recomputed) so the same samples always give the same bytes.
"""

from __future__ import annotations

import io
import struct
import wave
from math import gcd
from typing import Any

import numpy as np

MEDIA_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "pcm": "audio/L16",
}
OPUS_RATES = (8_000, 12_000, 16_000, 24_000, 48_000)
OGG_SERIAL = 0x61696763  # "aigc"
_SOUNDFILE = {"flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "OPUS"), "mp3": ("MP3", "MPEG_LAYER_III")}


class AudioFormatUnavailableError(RuntimeError):
    """The installed libsndfile cannot write the asked format (or soundfile is missing)."""


def _soundfile() -> Any:
    try:
        import soundfile
    except ImportError as error:
        raise AudioFormatUnavailableError(
            "FLAC, Ogg and MP3 need the soundfile package: pip install 'aigc[audio]'"
        ) from error
    return soundfile


def available_formats() -> list[str]:
    """The formats this installation can write."""
    formats = ["wav", "pcm"]
    try:
        soundfile = _soundfile()
    except AudioFormatUnavailableError:
        return formats
    known = soundfile.available_formats()
    return formats + [name for name, (major, _) in _SOUNDFILE.items() if major in known]


def wav_pcm16(pcm: np.ndarray, rate: int) -> bytes:
    """A mono 16-bit PCM WAV file of int16 samples."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return buffer.getvalue()


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC_TABLE = _ogg_crc_table()


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


def fix_ogg_serial(data: bytes, serial: int = OGG_SERIAL) -> bytes:
    """The Ogg stream with every page's serial number set to ``serial`` and its checksum redone."""
    out, offset = bytearray(), 0
    while offset < len(data):
        if data[offset : offset + 4] != b"OggS":
            raise ValueError(f"no Ogg page at byte {offset}")
        segments = data[offset + 26]
        size = 27 + segments + sum(data[offset + 27 : offset + 27 + segments])
        page = bytearray(data[offset : offset + size])
        page[14:18] = struct.pack("<I", serial)
        page[22:26] = b"\0\0\0\0"
        page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
        out += page
        offset += size
    return bytes(out)


def _resample(pcm: np.ndarray, rate: int, target: int) -> np.ndarray:
    from scipy.signal import resample_poly

    divisor = gcd(rate, target)
    floats = resample_poly(pcm.astype(np.float64) / 32768.0, target // divisor, rate // divisor)
    return np.asarray(np.clip(np.rint(floats * 32768.0), -32768, 32767), dtype=np.int16)


def encode(pcm: np.ndarray, rate: int, fmt: str) -> tuple[bytes, int]:
    """``(file bytes, sample rate of the file)`` for int16 mono samples in format ``fmt``."""
    if fmt == "wav":
        return wav_pcm16(pcm, rate), rate
    if fmt == "pcm":
        return np.asarray(pcm, dtype="<i2").tobytes(), rate
    if fmt not in _SOUNDFILE:
        raise ValueError(f"unknown audio format {fmt!r} (known: {', '.join(MEDIA_TYPES)})")
    soundfile = _soundfile()
    major, subtype = _SOUNDFILE[fmt]
    if major not in soundfile.available_formats():
        raise AudioFormatUnavailableError(f"this libsndfile cannot write {fmt} ({major})")
    if fmt == "ogg" and rate not in OPUS_RATES:
        target = next(r for r in OPUS_RATES if r >= rate) if rate <= OPUS_RATES[-1] else OPUS_RATES[-1]
        pcm, rate = _resample(pcm, rate, target), target
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(pcm, dtype=np.int16), rate, format=major, subtype=subtype)
    data = buffer.getvalue()
    return (fix_ogg_serial(data) if fmt == "ogg" else data), rate


def decode(data: bytes, media_type: str, rate: int | None = None) -> tuple[np.ndarray, int]:
    """``(float64 mono samples in [-1, 1], sample rate)`` of an audio file; raw ``audio/L16`` needs
    ``rate``. 16-bit WAV needs only the standard library; other formats need soundfile. Bytes that
    do not decode raise ``ValueError`` (WAV) or soundfile's ``RuntimeError``."""
    kind = media_type.split(";")[0].strip().lower()
    if kind == "audio/l16":
        if rate is None:
            raise ValueError("raw PCM (audio/L16) needs its sample rate")
        return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0, rate
    if kind in ("audio/wav", "audio/x-wav"):
        try:
            with wave.open(io.BytesIO(data)) as source:
                if source.getsampwidth() == 2:
                    frames = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
                    channels = source.getnchannels()
                    samples = frames.reshape(-1, channels).mean(axis=1) / 32768.0
                    return samples.astype(np.float64), source.getframerate()
        except (wave.Error, EOFError) as error:
            raise ValueError(f"not a readable WAV file: {error}") from error
    soundfile = _soundfile()
    samples, file_rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    return samples.mean(axis=1), int(file_rate)
