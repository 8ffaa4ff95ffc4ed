"""``music-transformer``: four-part Bach-style chorales from a small decoder with a KV cache.

Registered through the ``aigc`` entry point like any third-party plugin. Importing this package
needs only pydantic and pluggy; ONNX Runtime and mido are loaded when the generator is built.
The model was trained on music21's bundled Bach chorales (see README.md); serving needs no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import GeneratorSpec, generator_hook
from aigc.plugins.music_transformer.options import MusicOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

MODEL_DIR = Path(__file__).resolve().parent
ONNX_FILE = "model.onnx"
VERSION = "1.1.0"


def build_generator(context: PluginContext, model_dir: Path = MODEL_DIR) -> Generator:
    """Load ``model.onnx`` through the runtime and its config (both sha256-checked)."""
    from aigc.plugins.music_transformer.generator import MusicTransformerGenerator, load_model_config

    return MusicTransformerGenerator(
        context.runtime.session(model_dir, ONNX_FILE), load_model_config(model_dir)
    )


aigc_register_generators = generator_hook(
    GeneratorSpec(
        name="music-transformer",
        modality="music",
        version=VERSION,
        options=MusicOptions,
        factory=build_generator,
        media_types=("audio/midi", "audio/wav", "text/x-note-names"),
        max_batch_size=16,
        model_dir=MODEL_DIR,
        description=(
            "Four-part chorales (soprano, alto, tenor, bass) from a small decoder trained on "
            "music21's Bach chorales, as MIDI, WAV and note names; options: bars, key, tempo, "
            "temperature, top_k, top_p, instrument (General MIDI; a SoundFont renders the WAV when "
            "installed), melody (harmonise a given soprano)"
        ),
        examples=(
            {"options": {"bars": 4}, "n": 2},
            {
                "options": {
                    "bars": 2,
                    "key": "G major",
                    "melody": [[67, 1], [71, 1], [74, 2], [72, 2], [71, 2]],
                },
                "n": 1,
            },
        ),
    )
)
