"""Audio file encoding: every format decodes back, lossless ones exactly, and bytes are repeatable."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from aigc.core.audio_files import OGG_SERIAL, decode, encode, fix_ogg_serial

RATE = 22_050


def tone(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.asarray(np.rint(0.5 * 32767 * np.sin(2 * np.pi * 440 * t)), np.int16)


LOSSLESS = [("wav", "audio/wav"), ("pcm", "audio/L16"), ("flac", "audio/flac")]


@pytest.mark.parametrize(("fmt", "media_type"), LOSSLESS)
def test_lossless_formats_give_back_the_samples(fmt: str, media_type: str) -> None:
    if fmt == "flac":
        pytest.importorskip("soundfile")
    data, rate = encode(tone(), RATE, fmt)
    samples, decoded_rate = decode(data, media_type, rate=RATE)
    assert rate == decoded_rate == RATE
    np.testing.assert_array_equal(samples, tone() / 32768.0)


def test_opus_is_resampled_to_an_opus_rate_and_repeatable() -> None:
    pytest.importorskip("soundfile")
    data, rate = encode(tone(), RATE, "ogg")
    assert rate == 24_000
    assert encode(tone(), RATE, "ogg")[0] == data
    samples, decoded_rate = decode(data, "audio/ogg")
    assert decoded_rate == 24_000 and abs(len(samples) - 24_000) < 2_000
    # Lossy, but the tone's level survives (RMS of a 0.5 sine: 0.354).
    assert abs(np.sqrt(np.mean(samples[2_000:-2_000] ** 2)) - 0.354) < 0.02


def test_every_ogg_page_gets_the_fixed_serial_and_a_valid_checksum() -> None:
    soundfile = pytest.importorskip("soundfile")
    data, _ = encode(tone(2.0), RATE, "ogg")
    offset, pages = 0, 0
    while offset < len(data):
        assert data[offset : offset + 4] == b"OggS"
        assert struct.unpack("<I", data[offset + 14 : offset + 18])[0] == OGG_SERIAL
        segments = data[offset + 26]
        offset += 27 + segments + sum(data[offset + 27 : offset + 27 + segments])
        pages += 1
    assert pages > 1
    assert fix_ogg_serial(data, OGG_SERIAL) == data  # checksums were already right
    # libogg rejects a page whose checksum is wrong: another serial must still decode.
    assert len(soundfile.read(io.BytesIO(fix_ogg_serial(data, 7)))[0]) > 0


def test_mp3_round_trip_keeps_the_duration() -> None:
    soundfile = pytest.importorskip("soundfile")
    if "MP3" not in soundfile.available_formats():
        pytest.skip("this libsndfile has no MP3 support")
    data, rate = encode(tone(), RATE, "mp3")
    samples, decoded_rate = decode(data, "audio/mpeg")
    assert decoded_rate == rate == RATE and abs(len(samples) / RATE - 1.0) < 0.1


def test_raw_pcm_needs_its_rate() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        decode(b"\0\0", "audio/L16")
