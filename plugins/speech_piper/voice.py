"""A Piper voice: where its files are, its config, and speech from text (ONNX Runtime and numpy).

A voice is either installed (``aigc models install joe-us``: ``AIGC_HOME/models/joe-us/medium``) or a
``.onnx`` + ``.onnx.json`` pair registered by path (``aigc models add``); both are checked
against the sha256s recorded for them. Synthesis follows Piper's ``PiperVoice.synthesize``:
sentences from espeak-ng, phoneme ids from the voice's map, each sentence's audio normalised to
a peak of 1, 16-bit samples as ``int16(clip(x * 32767, ±32767))``. Unlike Piper, the noise comes
from the seed, and on CUDA the sentences of a text run as padded batches (on CPU a batch is slower
than its sentences one by one: measured 1.2-1.5x on two cores, so there each runs alone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.sdk import (
    CUDA,
    MANIFEST_NAME,
    Manifest,
    ModelRuntime,
    ModelSession,
    PluginContext,
    installables,
    invalid,
    load_manifest,
    load_registered,
    verify_file,
)
from aigc.plugins.speech_piper.graph import FRAMES_OUTPUT, NOISE_SIZE, seedable_voice
from aigc.plugins.speech_piper.phonemes import phoneme_ids, phonemize

MAX_WAV_VALUE = 32767.0
CUDA_BATCH_SENTENCES = 8  # bounds the decoder's activations: a batch is padded to its longest sentence


@dataclass(frozen=True)
class VoiceFiles:
    """A voice's folder, the name of its ONNX file, and the sha256s to check them against."""

    folder: Path
    onnx: str
    manifest: Manifest


def _onnx_file(name: str, folder: Path, manifest: Manifest) -> str:
    graphs = [f for f in manifest.files if f.endswith(".onnx") and f + ".json" in manifest.files]
    if len(graphs) != 1:
        raise invalid(
            "options.voice", name, f"{folder} holds {len(graphs)} Piper voices (.onnx + .onnx.json)"
        )
    return graphs[0]


def find_voice(context: PluginContext, name: str) -> VoiceFiles:
    """The voice ``name``: registered by path, else installed; ``InvalidRequestError`` on
    ``options.voice`` naming the command that provides it."""
    registered = load_registered(context.models_file).get(name)
    if registered is not None and registered.format == "piper":
        return VoiceFiles(
            registered.path, _onnx_file(name, registered.path, registered.manifest), registered.manifest
        )
    installable = installables().get(name)
    if installable is None:
        raise invalid(
            "options.voice",
            name,
            "no voice of that name is installed or registered; install one with `aigc models install "
            "joe-us` or register a Piper voice with `aigc models add VOICE.onnx --name NAME`",
        )
    folder = installable.folder(context.data_dir, installable.default_variants[0])
    if not (folder / MANIFEST_NAME).is_file():
        raise invalid(
            "options.voice", name, f"is not installed in {folder}: run `aigc models install {name}`"
        )
    manifest = load_manifest(folder)
    return VoiceFiles(folder, _onnx_file(name, folder, manifest), manifest)


@dataclass(frozen=True)
class SpeechSettings:
    """Synthesis settings of one request, resolved against the voice's defaults."""

    length_scale: float
    noise_scale: float
    noise_w: float
    sentence_silence: float


class PiperVoice:
    """A loaded voice: its config and a session of its seedable graph."""

    def __init__(self, session: ModelSession, config: dict[str, Any]) -> None:
        self.session = session
        self.config = config
        self.sample_rate = int(config["audio"]["sample_rate"])
        self.hop_length = int(config.get("hop_length", 256))
        self.espeak_voice = str(config["espeak"]["voice"])
        self.id_map: dict[str, list[int]] = config["phoneme_id_map"]
        self.batch_sentences = CUDA_BATCH_SENTENCES if session.providers[0] == CUDA else 1
        inference = config.get("inference", {})
        self.defaults = (
            float(inference.get("noise_scale", 0.667)),
            float(inference.get("length_scale", 1.0)),
            float(inference.get("noise_w", 0.8)),
        )

    @property
    def sha256(self) -> str:
        return self.session.sha256

    def sentence_ids(self, text: str) -> list[list[int]]:
        """Phoneme ids of each sentence of ``text``."""
        return [phoneme_ids(p, self.id_map) for p in phonemize(text, self.espeak_voice)]

    def settings(
        self, speed: float, noise_scale: float | None, noise_w: float | None, silence: float
    ) -> SpeechSettings:
        """Request options over the voice's defaults (``speed`` divides the voice's length scale)."""
        default_noise, default_length, default_w = self.defaults
        return SpeechSettings(
            length_scale=default_length / speed,
            noise_scale=default_noise if noise_scale is None else noise_scale,
            noise_w=default_w if noise_w is None else noise_w,
            sentence_silence=silence,
        )

    def sentence_audio(
        self, sentences: Sequence[Sequence[int]], settings: SpeechSettings, seed: int, batch_size: int
    ) -> Iterator[np.ndarray]:
        """float32 audio of each sentence in turn, peak-normalised as Piper does, ``batch_size``
        sentences per graph run; sentence ``i`` draws its noise from ``default_rng([seed, i])``."""
        scales = np.array([settings.noise_scale, settings.length_scale, settings.noise_w], np.float32)
        for start in range(0, len(sentences), batch_size):
            batch = sentences[start : start + batch_size]
            lengths = np.array([len(s) for s in batch], np.int64)
            ids = np.zeros((len(batch), int(lengths.max())), np.int64)
            for row, sentence in enumerate(batch):
                ids[row, : len(sentence)] = sentence
            noise = [
                np.random.default_rng([seed, start + row]).standard_normal((2, NOISE_SIZE), dtype=np.float32)
                for row in range(len(batch))
            ]
            feeds = {"input": ids, "input_lengths": lengths, "scales": scales}
            feeds |= {f"noise_{k}": np.stack([n[k] for n in noise]) for k in range(2)}
            result = self.session.run(feeds)
            frames = result[FRAMES_OUTPUT].reshape(len(batch), -1).sum(axis=1)
            waves = result["output"].reshape(len(batch), -1)
            for row in range(len(batch)):
                samples = max(1, int(frames[row])) * self.hop_length
                yield _normalised(waves[row, :samples])

    def speak_sentences(self, text: str, settings: SpeechSettings, seed: int) -> Iterator[np.ndarray]:
        """int16 samples of ``text``, one piece per sentence as soon as it is synthesised: the
        silence between sentences leads every piece but the first."""
        sentences = self.sentence_ids(text)
        silence = np.zeros(round(settings.sentence_silence * self.sample_rate), np.float32)
        for index, audio in enumerate(self.sentence_audio(sentences, settings, seed, self.batch_sentences)):
            yield to_int16(np.concatenate([silence, audio]) if index else audio)

    def speak(self, text: str, settings: SpeechSettings, seed: int) -> tuple[np.ndarray, int]:
        """``(int16 samples, sentence count)`` of ``text``, sentences joined by silence."""
        pieces = list(self.speak_sentences(text, settings, seed))
        return joined(pieces), len(pieces)


def joined(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """The int16 pieces of ``speak_sentences`` as one signal (empty when there are none)."""
    return np.concatenate(pieces) if pieces else np.zeros(0, np.int16)


def _normalised(audio: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-8:
        return np.zeros_like(audio, dtype=np.float32)
    return np.clip(audio / peak, -1.0, 1.0).astype(np.float32)


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Piper's 16-bit conversion: scale by 32767, clip, truncate toward zero."""
    return np.clip(audio * MAX_WAV_VALUE, -MAX_WAV_VALUE, MAX_WAV_VALUE).astype(np.int16)


def load_voice(runtime: ModelRuntime, files: VoiceFiles) -> PiperVoice:
    """The voice's config (sha256-checked) and a session of its seedable graph."""
    config_name = files.onnx + ".json"
    verify_file(files.folder, config_name, files.manifest)
    config = json.loads((files.folder / config_name).read_text(encoding="utf-8"))
    if int(config.get("num_speakers", 1)) > 1:
        raise invalid("options.voice", files.onnx, "multi-speaker Piper voices are not supported yet")
    session = runtime.session(files.folder, files.onnx, files.manifest, transform=seedable_voice)
    return PiperVoice(session, config)
