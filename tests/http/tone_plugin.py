"""A small audio plugin for the gallery tests: a WAV sine tone per seed, as an audio generator emits."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from aigc.core import ArtifactData, GeneratorInput, GeneratorSpec, Options, hookimpl

RATE = 8000


class ToneOptions(Options):
    seconds: float = Field(0.5, gt=0, le=5, description="length of the tone")


def tone_wav(seed: int, seconds: float) -> bytes:
    """16-bit mono PCM: a sine between 220 and 880 Hz drawn from ``seed``."""
    frequency = np.random.default_rng(seed).uniform(220, 880)
    t = np.arange(int(RATE * seconds)) / RATE
    samples = (0.3 * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


class ToneGenerator:
    model_sha256 = None

    def generate(
        self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        return [[ArtifactData("audio/wav", data=tone_wav(seed, options.seconds))] for seed in seeds]


class TonePlugin:
    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        register(
            GeneratorSpec(
                name="tone",
                modality="audio",
                version="0.1",
                options=ToneOptions,
                factory=lambda context: ToneGenerator(),
                media_types=("audio/wav",),
            )
        )
