"""The ``speech-piper`` generator at serving time: espeak-ng phonemes, ONNX Runtime, numpy.

Each input's sentences run as padded batches (on CUDA); sample ``i`` draws its noise from its seed alone,
so a seed gives the same bytes alone or in any batch. Voices load on first use and stay loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence

import numpy as np

from aigc.core.sdk import (
    AUDIO_MEDIA_TYPES,
    ArtifactData,
    AudioChunk,
    AudioFormatUnavailableError,
    GeneratorInput,
    PluginContext,
    check_seeds,
    encode_audio,
    invalid,
)
from aigc.plugins.speech_piper.options import SpeechOptions
from aigc.plugins.speech_piper.voice import PiperVoice, SpeechSettings, find_voice, joined, load_voice

MAX_TEXT_CHARS = 5_000  # about five minutes of speech: the whole text is answered in one response


class SpeechPiperGenerator:
    """Speech from text with Piper voices, one loaded session per voice."""

    model_sha256: str | None = None  # several voices: see model_sha256_for

    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self._voices: dict[str, PiperVoice] = {}
        self._lock = threading.Lock()

    def voice(self, name: str) -> PiperVoice:
        """The loaded voice ``name`` (found, sha256-checked and loaded on first use)."""
        with self._lock:
            if name not in self._voices:
                self._voices[name] = load_voice(self.context.runtime, find_voice(self.context, name))
            return self._voices[name]

    def model_sha256_for(self, options: SpeechOptions) -> str | None:
        """The sha256 of the ONNX file of the voice ``options`` chose."""
        return self.voice(options.voice).sha256

    def generate(
        self, inputs: Sequence[GeneratorInput], options: SpeechOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One audio file per input, in ``options.format``."""
        check_seeds(inputs, seeds)
        for item in inputs:
            _check_length(item)
        voice = self.voice(options.voice)
        settings = _settings(voice, options)
        artifacts = []
        for item, seed in zip(inputs, seeds, strict=True):
            pcm, sentences = voice.speak(item.prompt or "", settings, seed)
            artifacts.append([_artifact(item, pcm, sentences, voice, settings, options)])
        return artifacts

    def stream(
        self, input: GeneratorInput, options: SpeechOptions, seed: int
    ) -> Generator[AudioChunk, None, ArtifactData]:
        """The sample of ``generate([input], options, [seed])``, one ``AudioChunk`` per sentence as
        soon as it is synthesised (the silence before it included), then the encoded file."""
        _check_length(input)
        voice = self.voice(options.voice)
        settings = _settings(voice, options)
        pieces = []
        for piece in voice.speak_sentences(input.prompt or "", settings, seed):
            pieces.append(piece)
            yield AudioChunk(piece.astype("<i2").tobytes(), voice.sample_rate)
        return _artifact(input, joined(pieces), len(pieces), voice, settings, options)


def _check_length(item: GeneratorInput) -> None:
    if len(item.prompt or "") > MAX_TEXT_CHARS:
        raise invalid(
            "prompt", f"{len(item.prompt or '')} characters", f"at most {MAX_TEXT_CHARS} characters"
        )


def _settings(voice: PiperVoice, options: SpeechOptions) -> SpeechSettings:
    return voice.settings(options.speed, options.noise_scale, options.noise_w, options.sentence_silence)


def _artifact(
    item: GeneratorInput,
    pcm: np.ndarray,
    sentences: int,
    voice: PiperVoice,
    settings: SpeechSettings,
    options: SpeechOptions,
) -> ArtifactData:
    """``pcm`` encoded in ``options.format``, with what made it."""
    if not len(pcm):
        raise invalid("prompt", item.prompt, "has nothing to speak (no words espeak-ng can pronounce)")
    try:
        data, rate = encode_audio(pcm, voice.sample_rate, options.format)
    except AudioFormatUnavailableError as error:
        raise invalid("options.format", options.format, str(error)) from None
    metadata = {
        "voice": options.voice,
        "sample_rate": rate,
        "channels": 1,
        "seconds": round(len(pcm) / voice.sample_rate, 4),
        "sentences": sentences,
        "format": options.format,
        "length_scale": round(settings.length_scale, 6),
        "noise_scale": settings.noise_scale,
        "noise_w": settings.noise_w,
    }
    return ArtifactData(AUDIO_MEDIA_TYPES[options.format], data=data, metadata=metadata)
