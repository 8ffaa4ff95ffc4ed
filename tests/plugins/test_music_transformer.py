"""The ``music-transformer`` generator on the shipped model: files, reproducibility, melody, parity."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigc.core.audio import render, wav_bytes
from aigc.core.decoding import CausalLM, DecodeBatch, SamplingParams
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.midi import Note, read_midi
from aigc.core.provenance import read_midi_text
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.soundfont import find_soundfont
from aigc.core.specs import GeneratorInput
from aigc.core.validation import validate_model
from aigc.plugins.music_metrics.metrics import scale_consistency
from aigc.plugins.music_transformer import MODEL_DIR, ONNX_FILE, build_generator
from aigc.plugins.music_transformer import generator as music_generator
from aigc.plugins.music_transformer.generator import MusicTransformerGenerator
from aigc.plugins.music_transformer.options import MusicOptions
from aigc.plugins.music_transformer.tokens import (
    HOLD,
    PITCH_NAMES,
    REST,
    VOICES,
    grid_text,
    grid_to_notes,
    melody_tokens,
    pitch_token,
)
from tests.cli.test_cli import Aigc

MELODY = [[67, 1], [67, 1], [69, 2], [67, 2], [72, 2], [71, 4], [None, 1], [67, 1], [74, 2], [72, 4]]


@pytest.fixture(scope="module")
def generator(runtime: ModelRuntime) -> MusicTransformerGenerator:
    built = build_generator(PluginContext(runtime))
    assert isinstance(built, MusicTransformerGenerator)
    return built


def generate(gen: MusicTransformerGenerator, seeds: list[int], **options: Any) -> list[dict[str, Any]]:
    samples = gen.generate([GeneratorInput() for _ in seeds], MusicOptions(**options), seeds)
    return [{a.media_type: a for a in artifacts} for artifacts in samples]


# -- the token grid -----------------------------------------------------------------------------------


def test_grid_tokens_become_notes_and_note_names() -> None:
    c4, e4 = pitch_token(60), pitch_token(64)
    grid = np.asarray([[c4, REST], [HOLD, HOLD], [e4, c4], [REST, HOLD]])
    assert grid_to_notes(grid) == [Note(0.0, 1.0, 60, 0), Note(1.0, 1.5, 64, 0), Note(1.0, 2.0, 60, 1)]
    assert grid_text(np.pad(grid, ((0, 0), (0, 2)), constant_values=REST)).splitlines()[:2] == [
        "S  C4:2 E4:1 r:1",
        "A  r:2 C4:2",
    ]


def test_a_melody_becomes_soprano_tokens_with_holds() -> None:
    tokens = melody_tokens([(67, 2), (None, 2), (69, 1)])
    assert tokens == [pitch_token(67), HOLD, REST, HOLD, pitch_token(69)]


# -- acceptance: the CLI stores MIDI and WAV files that standard tools open --------------------------


@pytest.fixture(scope="module")
def cli_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    aigc = Aigc(tmp_path_factory.mktemp("music") / "aigc-data")
    args = ("generate", "music-transformer", "-o", "bars=8", "--seed", "1")
    return aigc.json(*args), aigc.json(*args)


def stored(result: dict[str, Any], media_type: str) -> bytes:
    [generation] = result["generations"]
    [artifact] = [a for a in generation["artifacts"] if a["media_type"] == media_type]
    return Path(artifact["uri"]).read_bytes()


def test_cli_stores_a_midi_file_of_eight_bars_in_four_voices(cli_result: Any) -> None:
    mido = pytest.importorskip("mido")
    data = stored(cli_result[0], "audio/midi")
    midi = mido.MidiFile(file=io.BytesIO(data))
    assert midi.type == 1 and [t.name for t in midi.tracks[1:]] == list(VOICES)
    notes, tempo = read_midi(data)
    assert tempo == pytest.approx(80) and {n.voice for n in notes} == {0, 1, 2, 3}
    last = max(n.end for n in notes)
    assert last <= 32 and midi.length == pytest.approx(last * 60 / 80)
    assert read_midi_text(data)["generator"] == "music-transformer"  # provenance travels in the file


def test_cli_stores_a_wav_file_as_long_as_the_bars_at_the_tempo_and_not_silent(cli_result: Any) -> None:
    with wave.open(io.BytesIO(stored(cli_result[0], "audio/wav"))) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert wav.getnframes() == round(8 * 4 * 60 / 80 * wav.getframerate())
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 1000


def test_the_same_seed_gives_identical_files(cli_result: Any) -> None:
    first, second = cli_result
    for media_type in ("audio/midi", "audio/wav"):
        assert stored(first, media_type) == stored(second, media_type)


def test_the_engine_evaluates_and_stores_a_harmonisation(engine: Engine) -> None:
    melody = {"melody": [[67, 2], [69, 2], [71, 4]], "bars": 2, "key": "G major"}
    request = {"generator": "music-transformer", "options": melody, "seed": 4, "n": 2}
    result = engine.generate({**request, "evaluators": ["music-metrics", "music-memorization"]})
    assert result.status == "completed"
    for generation in result.generations:
        assert [a.media_type for a in generation.artifacts] == [
            "audio/midi",
            "audio/wav",
            "text/x-note-names",
        ]
        metrics = {e.metric: e for e in generation.evaluations}
        assert metrics["scale_consistency"].value is not None and metrics["longest_shared_run"].passed
        midi = engine.store.read_artifact(generation.artifacts[0].id)
        assert read_midi_text(midi)["key"] == generation.key


# -- the generator -----------------------------------------------------------------------------------


def test_a_sample_is_the_same_alone_and_in_a_batch(generator: MusicTransformerGenerator) -> None:
    together = generate(generator, [3, 4, 5], bars=2)
    alone = generate(generator, [4], bars=2)
    assert together[1]["audio/midi"].data == alone[0]["audio/midi"].data
    assert together[0]["audio/midi"].data != together[1]["audio/midi"].data


def test_harmonising_keeps_the_melody_in_the_soprano(generator: MusicTransformerGenerator) -> None:
    for sample in generate(generator, [1, 2], bars=5, key="C major", melody=MELODY):  # 20 beats
        notes, _ = read_midi(sample["audio/midi"].data)
        soprano = [(n.pitch, n.end - n.start) for n in notes if n.voice == 0]
        assert soprano == [(p, d) for p, d in MELODY if p is not None]
        assert {n.voice for n in notes} == {0, 1, 2, 3}


def test_the_key_option_moves_the_music_into_that_key(generator: MusicTransformerGenerator) -> None:
    for key, tonic in (("D major", 2), ("Bb major", 10)):
        for sample in generate(generator, [11, 12], bars=4, key=key):
            notes, _ = read_midi(sample["audio/midi"].data)
            bass = [n for n in notes if n.voice == 3]
            classes = np.asarray([n.pitch % 12 for n in notes])
            in_scale = np.isin(classes, [(tonic + d) % 12 for d in (0, 2, 4, 5, 7, 9, 11)]).mean()
            assert in_scale > 0.8 and bass, (key, in_scale)


def test_generated_chorales_are_plausible(generator: MusicTransformerGenerator) -> None:
    """Tonal (like Bach's, whose median scale consistency is ~0.97), in four ordered voices."""
    for sample in generate(generator, list(range(6)), bars=8):
        notes, _ = read_midi(sample["audio/midi"].data)
        assert scale_consistency(notes) > 0.85
        means = [np.mean([n.pitch for n in notes if n.voice == v]) for v in range(4)]
        assert means == sorted(means, reverse=True)  # soprano above alto above tenor above bass
        assert len(sample["text/x-note-names"].text.splitlines()) == 4


def test_invalid_options_name_the_field_and_the_limit() -> None:
    cases = {
        "bars": ({"bars": 9}, "8"),
        "key": ({"key": "H major"}, "major"),
        "melody": ({"bars": 1, "melody": [[60, 4], [62, 1]]}, "at most 4"),
        "melody[0][0]": ({"melody": [[90, 1]]}, "81"),
        "melody[0][1]": ({"melody": [[60, 0.25]]}, "0.5"),
    }
    for field, (options, limit) in cases.items():
        with pytest.raises(InvalidRequestError) as caught:
            validate_model(MusicOptions, options, "options")
        errors = caught.value.errors
        assert any(e["field"] == f"options.{field}" and limit in str(e["message"]) for e in errors)


# -- the exported graph --------------------------------------------------------------------------------


def test_onnx_matches_torch_at_several_batches_prompt_and_past_lengths() -> None:
    pytest.importorskip("torch")
    from aigc.plugins.lib.decoder.export import parity
    from aigc.plugins.music_transformer.export import PARITY_CASES, load_decoder

    assert max(parity(load_decoder(), MODEL_DIR / ONNX_FILE, PARITY_CASES).values()) < 1e-4


def test_greedy_chorale_is_identical_to_torch(generator: MusicTransformerGenerator) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.music_transformer.export import load_decoder

    decoder = load_decoder()
    model = CausalLM(generator.session, generator.model.context_length, eos_token_id=None)
    for key in (2, 14):  # C major, C minor
        with torch.no_grad():
            expected = decoder.greedy(torch.tensor([[key]]), 128)[0].tolist()
        (result,) = DecodeBatch(model, [[key]], [0], SamplingParams(temperature=0), 128).run()
        assert result.token_ids == expected


def test_serving_imports_neither_torch_nor_music21() -> None:
    code = (
        "import sys; import aigc.plugins.music_transformer.generator, aigc.plugins.music_metrics.evaluator, "
        "aigc.plugins.music_memorization.evaluator; print('torch' in sys.modules, 'music21' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


def test_the_manifest_records_the_data_source_seed_and_parity() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    assert set(manifest["files"]) == {"model.onnx", "config.json"}
    training = manifest["training"]
    assert "music21" in training["data_source"] and training["seed"] == 7
    assert training["command"].startswith("python -m aigc.plugins.music_transformer.train")
    assert max(training["parity_max_abs"].values()) < 1e-4
    size = sum(path.stat().st_size for path in MODEL_DIR.glob("*.onnx"))
    assert size < 5_000_000


# -- text form and instruments ---------------------------------------------------------------------------


def notes_from_text(text: str) -> list[Note]:
    """Notes read back from ``grid_text`` (ties joined), times in beats."""
    names = {name: index for index, name in enumerate(PITCH_NAMES)}
    notes = []
    for voice, line in enumerate(text.splitlines()):
        now, tied = 0, False
        for part in line.split()[1:]:
            if part == "|":
                continue
            label, length = part.rstrip("-").split(":")
            if label != "r":
                pitch = names[label[:-1]] + 12 * (int(label[-1]) + 1)
                if tied:
                    last = notes.pop()
                    notes.append(Note(last.start, (now + int(length)) / 2, pitch, voice))
                else:
                    notes.append(Note(now / 2, (now + int(length)) / 2, pitch, voice))
            tied = part.endswith("-")
            now += int(length)
    return sorted(notes)


def test_a_note_held_across_a_bar_line_is_tied_not_a_rest() -> None:
    e5 = pitch_token(76)
    soprano = [HOLD] * 4 + [e5] + [HOLD] * 9 + [REST, HOLD]  # E5 from beat 2 to beat 7
    grid = np.asarray([[token, REST, REST, REST] for token in soprano])
    assert grid_text(grid).splitlines()[0] == "S  r:4 E5:4- | E5:6 r:2"
    assert notes_from_text(grid_text(grid)) == grid_to_notes(grid)


def test_text_and_midi_agree_note_for_note(generator: MusicTransformerGenerator) -> None:
    """Seed 7 holds notes across the second bar line; the text used to print them as rests."""
    for sample in generate(generator, [7, 8, 9], bars=8):
        notes, _ = read_midi(sample["audio/midi"].data)
        assert notes_from_text(sample["text/x-note-names"].text) == notes


def test_instrument_sets_the_programs_and_the_soundfont_renders_the_wav(
    generator: MusicTransformerGenerator,
) -> None:
    mido = pytest.importorskip("mido")
    [sample] = generate(generator, [1], bars=2, instrument="strings")
    midi = mido.MidiFile(file=io.BytesIO(sample["audio/midi"].data))
    assert [m.program for t in midi.tracks for m in t if m.type == "program_change"] == [40, 40, 41, 42]
    wav = sample["audio/wav"]
    if find_soundfont() is None:
        pytest.skip("no SoundFont installed: the additive fallback is tested below")
    assert wav.metadata["rendering"] == "soundfont" and wav.metadata["soundfont"] == "FluidR3_GM.sf2"
    with wave.open(io.BytesIO(wav.data)) as audio:
        assert audio.getframerate() == 44_100 and audio.getnframes() == round(2 * 4 * 60 / 80 * 44_100)
    [organ] = generate(generator, [1], bars=2, instrument="organ")
    assert organ["audio/wav"].data != wav.data and organ["audio/midi"].data != sample["audio/midi"].data


def test_without_a_soundfont_the_wav_is_synthesised_and_says_so(
    generator: MusicTransformerGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(music_generator, "find_soundfont", lambda: None)
    [sample] = generate(generator, [1], bars=2, instrument="choir")
    wav = sample["audio/wav"]
    assert wav.metadata["rendering"] == "additive" and "fluid-soundfont-gm" in wav.metadata["rendering_note"]
    assert wav.data == wav_bytes(render(grid_notes(sample), 80, 8))


def grid_notes(sample: dict[str, Any]) -> list[Note]:
    return read_midi(sample["audio/midi"].data)[0]
