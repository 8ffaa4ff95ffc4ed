"""What an abandoned stream leaves: the chunks sent so far as one artifact, and how much they were."""

from __future__ import annotations

from collections.abc import Sequence

from aigc.core.specs import ArtifactData, AudioChunk, StreamChunk


def streamed_so_far(sent: Sequence[StreamChunk]) -> tuple[ArtifactData, str]:
    """The chunks ``sent`` as one artifact (text, or the audio as a 16-bit WAV) marked ``cancelled``,
    and a phrase saying how much was sent ("12 characters", "1.52 s of audio")."""
    audio = [chunk for chunk in sent if isinstance(chunk, AudioChunk)]
    if not audio:
        text = "".join(chunk for chunk in sent if isinstance(chunk, str))
        return ArtifactData("text/plain", text=text, metadata={"cancelled": True}), f"{len(text)} characters"
    import numpy as np

    from aigc.core.audio_files import wav_pcm16

    rate = audio[0].sample_rate
    pcm = np.frombuffer(b"".join(chunk.pcm for chunk in audio), dtype="<i2")
    seconds = len(pcm) / rate
    metadata = {"cancelled": True, "sample_rate": rate, "channels": 1, "seconds": round(seconds, 4)}
    return ArtifactData(
        "audio/wav", data=wav_pcm16(pcm, rate), metadata=metadata
    ), f"{seconds:.2f} s of audio"
