"""The ``music-transformer`` generator at serving time: ONNX Runtime, numpy and mido only.

Every sample starts from the requested key token and decodes ``bars * 32`` tokens with the
engine's KV-cache loop (``aigc.core.decoding``); with a melody, the soprano tokens are forced
(constrained decoding) and the model chooses the other voices around them. Sample ``i`` draws
from ``numpy.random.default_rng(seeds[i])`` only, so a seed gives the same chorale alone or in
any batch. Each sample becomes a MIDI file, a WAV rendering (with a General MIDI SoundFont when
one is installed, else by additive synthesis, as the WAV's metadata says) and a note-name text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.sdk import (
    SAMPLE_RATE,
    SOUNDFONT_PATHS,
    ArtifactData,
    CausalLM,
    DecodeBatch,
    GeneratorInput,
    ModelSession,
    SamplingParams,
    check_seeds,
    checked_json,
    find_soundfont,
    render,
    render_soundfont,
    wav_bytes,
    write_midi,
)
from aigc.plugins.music_transformer.options import INSTRUMENTS, MusicOptions, parse_key
from aigc.plugins.music_transformer.tokens import (
    BEATS_PER_BAR,
    STEPS_PER_BEAT,
    TOKENS_PER_BAR,
    VOICES,
    grid_text,
    grid_to_notes,
    key_token,
    melody_tokens,
)

CONFIG_FILE = "config.json"
# The note names are text, but not prose: their own media type keeps text evaluators (perplexity,
# relevance, safety) from judging music.
NOTE_NAMES = "text/x-note-names"
MEDIA_TYPES = ("audio/midi", "audio/wav", NOTE_NAMES)
SOUNDFONT_RATE = 44_100
NO_SOUNDFONT = (
    f"no General MIDI SoundFont found ({', '.join(str(p) for p in SOUNDFONT_PATHS)}) or tinysoundfont "
    "is missing: rendered by additive synthesis; install Debian's fluid-soundfont-gm and "
    "`pip install --no-deps tinysoundfont` for real instruments"
)


def load_model_config(model_dir: Path) -> dict[str, Any]:
    """The model folder's ``config.json`` (decoder sizes) after checking it against the manifest."""
    return checked_json(model_dir, CONFIG_FILE)


def forced_soprano(options: MusicOptions) -> dict[int, int]:
    """Output index -> token for every soprano step the melody covers (empty without a melody)."""
    if options.melody is None:
        return {}
    melody = [(pitch, round(beats * STEPS_PER_BEAT)) for pitch, beats in options.melody]
    return {step * len(VOICES): token for step, token in enumerate(melody_tokens(melody))}


class MusicTransformerGenerator:
    """Four-part chorales from ``model.onnx`` with its KV cache."""

    def __init__(self, session: ModelSession, config: dict[str, Any]) -> None:
        self.session = session
        self.model_sha256: str | None = session.sha256
        self.model = CausalLM(session, int(config["decoder"]["context_length"]), eos_token_id=None)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: MusicOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """MIDI, WAV and text artifacts per input."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        tonic, mode = parse_key(options.key)
        prompts = [[key_token(tonic, mode)] for _ in inputs]
        forced = [forced_soprano(options) for _ in inputs]
        params = SamplingParams(temperature=options.temperature, top_k=options.top_k, top_p=options.top_p)
        length = options.bars * TOKENS_PER_BAR
        batch = DecodeBatch(self.model, prompts, seeds, params, length, forced=forced)
        return [self._artifacts(np.asarray(r.token_ids), options) for r in batch.run()]

    def _artifacts(self, tokens: np.ndarray, options: MusicOptions) -> list[ArtifactData]:
        grid = tokens.reshape(-1, len(VOICES))
        notes = grid_to_notes(grid)
        beats = options.bars * BEATS_PER_BAR
        programs = INSTRUMENTS[options.instrument]
        metadata: dict[str, Any] = {
            "bars": options.bars,
            "key": options.key,
            "tempo_bpm": options.tempo,
            "seconds": beats * 60.0 / options.tempo,
            "notes": len(notes),
            "harmonised_melody": options.melody is not None,
            "instrument": options.instrument,
            "programs": list(programs),
        }
        midi = write_midi(notes, VOICES, options.tempo, BEATS_PER_BAR, program=programs)
        soundfont = find_soundfont()
        if soundfont is None:
            wav = wav_bytes(render(notes, options.tempo, beats))
            audio = {"rendering": "additive", "rendering_note": NO_SOUNDFONT, "sample_rate": SAMPLE_RATE}
        else:
            samples = render_soundfont(notes, programs, options.tempo, beats, soundfont, SOUNDFONT_RATE)
            wav = wav_bytes(samples, SOUNDFONT_RATE)
            audio = {
                "rendering": "soundfont",
                "soundfont": soundfont.path.name,
                "soundfont_sha256": soundfont.sha256,
                "sample_rate": SOUNDFONT_RATE,
            }
        return [
            ArtifactData("audio/midi", data=midi, metadata=metadata),
            ArtifactData("audio/wav", data=wav, metadata=metadata | audio),
            ArtifactData(NOTE_NAMES, text=grid_text(grid), metadata=metadata),
        ]
