"""audio-metrics on synthetic signals with known answers, and on real speech through the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aigc.core.audio_files import encode
from aigc.core.engine import Engine
from aigc.core.schemas import EvalResult
from aigc.core.specs import ArtifactData, EvalItem
from aigc.plugins.audio_metrics.evaluator import AudioMetricsEvaluator
from aigc.plugins.audio_metrics.measures import clipping_rate, integrated_loudness, silence, true_peak_db
from aigc.plugins.audio_metrics.options import AudioMetricsOptions
from aigc.testing import evaluator_conformance

pytest.importorskip("pyloudnorm", reason="audio-metrics needs the audio extra")

RATE = 48_000


def sine(seconds: float, amplitude: float, frequency: float = 997.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * frequency * t + phase)


def metrics(samples: np.ndarray, prompt: str | None = None, **options: float) -> dict[str, EvalResult]:
    pcm = np.asarray(np.clip(np.rint(samples * 32767), -32768, 32767), np.int16)
    data, _ = encode(pcm, RATE, "wav")
    item = EvalItem(ArtifactData("audio/wav", data=data), prompt, "test", {})
    [results] = AudioMetricsEvaluator().evaluate([item], AudioMetricsOptions(**options))
    return {r.metric: r for r in results}


def test_a_sine_at_minus_20_dbfs_peak_reads_minus_23_lufs() -> None:
    """BS.1770: a 997 Hz mono sine of peak amplitude A reads 20 log10(A) - 3.01 LUFS."""
    assert integrated_loudness(sine(5.0, 0.1), RATE) == pytest.approx(-23.01, abs=0.1)
    assert integrated_loudness(sine(5.0, 0.5), RATE) == pytest.approx(-9.03, abs=0.1)


def test_loudness_verdict_against_a_target() -> None:
    inside = metrics(sine(3.0, 0.1), target_lufs=-23.0, lufs_tolerance=2.0)["loudness"]
    outside = metrics(sine(3.0, 0.5), target_lufs=-23.0, lufs_tolerance=2.0)["loudness"]
    assert inside.passed is True and inside.score == pytest.approx(1.0, abs=0.01)
    assert outside.passed is False and outside.score == pytest.approx(1 - 14 / 20, abs=0.01)


def test_silence_and_very_short_files_have_no_loudness() -> None:
    assert integrated_loudness(np.zeros(RATE), RATE) is None
    assert integrated_loudness(sine(0.3, 0.5), RATE) is None
    result = metrics(np.zeros(RATE))["loudness"]
    assert result.value is None and result.passed is False


def test_true_peak_finds_the_peak_between_samples() -> None:
    """A sine at a quarter of the rate, 45 degrees off: samples reach 0.707 (-3 dB), the wave 1.0."""
    wave = sine(1.0, 1.0, frequency=RATE / 4, phase=np.pi / 4)
    assert np.max(np.abs(wave)) == pytest.approx(0.7071, abs=1e-3)
    assert true_peak_db(wave) == pytest.approx(0.0, abs=0.3)
    assert true_peak_db(np.zeros(10)) == -120.0


def test_clipping_rate_of_a_sine_clipped_at_half_its_amplitude() -> None:
    """2 sin(x) clipped to [-1, 1] is flat where |sin x| >= 1/2: two thirds of the time."""
    clipped = np.clip(sine(1.0, 2.0), -1.0, 1.0)
    assert clipping_rate(clipped, 0.999) == pytest.approx(2 / 3, abs=0.01)
    result = metrics(clipped, max_clipping=0.0)["clipping"]
    assert result.passed is False


def test_a_single_full_scale_sample_is_not_clipping() -> None:
    wave = sine(1.0, 0.5)
    wave[1000] = 1.0
    assert clipping_rate(wave, 0.999) == 0.0


def test_inserted_silence_is_measured_where_it_is() -> None:
    """0.25 s silence, 1 s tone, 0.5 s silence, 1 s tone, 0.25 s silence (3 s)."""
    gap = np.zeros(RATE // 4)
    wave = np.concatenate([gap, sine(1.0, 0.3), gap, gap, sine(1.0, 0.3), gap])
    quiet = silence(wave, RATE, -50.0)
    assert quiet.leading == pytest.approx(0.25 / 3, abs=0.004)
    assert quiet.trailing == pytest.approx(0.25 / 3, abs=0.004)
    assert quiet.internal == pytest.approx(0.5 / 3, abs=0.004)
    assert quiet.active_seconds == pytest.approx(2.5, abs=0.02)
    result = metrics(wave, max_internal_silence=0.1)["internal_silence"]
    assert result.passed is False and result.value == pytest.approx(0.5 / 3, abs=0.004)


def test_speaking_rate_counts_the_prompts_words_over_the_sound() -> None:
    """Ten words over 4 s of sound (plus silence around it): 150 words per minute."""
    gap = np.zeros(RATE // 2)
    wave = np.concatenate([gap, sine(4.0, 0.3), gap])
    prompt = "One two three four five, six seven eight nine ten."
    result = metrics(wave, prompt)["speaking_rate"]
    assert result.value == pytest.approx(150.0, abs=1.0) and result.passed is True
    fast = metrics(wave, prompt, min_wpm=100, max_wpm=120)["speaking_rate"]
    assert fast.passed is False and fast.score == pytest.approx(120 / 150, abs=0.01)


def test_no_prompt_no_speaking_rate() -> None:
    assert "speaking_rate" not in metrics(sine(1.0, 0.3))
    assert metrics(sine(1.0, 0.3))["duration"].value == pytest.approx(1.0)


def test_bytes_that_are_not_audio_give_an_error_result() -> None:
    item = EvalItem(ArtifactData("audio/wav", data=b"RIFF nonsense"), None, "test", {})
    [[result]] = AudioMetricsEvaluator().evaluate([item], AudioMetricsOptions())
    assert result.error is not None and "cannot decode" in result.error


def test_options_refuse_an_inverted_rate_range() -> None:
    with pytest.raises(ValueError, match="min_wpm"):
        AudioMetricsOptions(min_wpm=200, max_wpm=100)


def test_policy_on_real_speech(voice_home: Path, engine: Engine) -> None:
    """joe-us speaks at a plausible rate, without clipping; a loudness window is a policy threshold."""
    result = engine.generate(
        {
            "generator": "speech-piper",
            "prompt": "The quick brown fox jumps over the lazy dog.",
            "seed": 1,
            "evaluators": [{"name": "audio-metrics", "options": {"max_clipping": 0.0}}],
            "policy": {"thresholds": {"loudness": {"on": "value", "min": -30, "max": -10}}},
        }
    )
    [generation] = result.generations
    found = {e.metric: e for e in generation.evaluations}
    assert generation.status == "accepted", generation.reasons
    assert 110 <= found["speaking_rate"].value <= 220
    assert found["clipping"].passed is True


TestAudioMetricsConformance = evaluator_conformance("audio-metrics")
