"""The plugin SDK: everything a plugin imports from aigc, in one module.

Built-in plugins import only this (and the shared plugin libraries in ``aigc.plugins.lib``)::

    from aigc.core.sdk import GeneratorSpec, Options, PluginContext, hookimpl

Registering a plugin needs only pydantic and pluggy: the names that need numpy, Pillow, torch or
ONNX tooling (media helpers, the decode loop, export and training helpers) are imported on first
use, so listing plugins stays cheap. Groups:

- hooks and specs: ``hookimpl``, ``generator_hook``/``evaluator_hook`` (a registration hook from
  specs), ``GeneratorSpec``, ``EvaluatorSpec``, ``PluginContext`` (what factories receive: the
  runtime and the engine's ``Settings``)
- what generators and evaluators are: ``Generator``, ``StreamingGenerator`` (text deltas or
  ``AudioChunk``s), ``MultiModelGenerator``, ``Evaluator``, ``SetEvaluator``, ``Embedder``
  (``Embeddings``), ``Options``, ``GeneratorInput``, ``ChatMessage``,
  ``ArtifactData``, ``EvalItem``, ``EvalResult``; ``report_progress(done, total)`` for the steps of
  a long call (the CLI shows them as a bar)
- checks and errors: ``checked_file``/``checked_json`` (a file checked against its manifest),
  ``check_seeds``, ``invalid(field, value, message)``, ``PluginLoadError``, ``ModelIntegrityError``,
  ``ExportError``
- models: ``ModelRuntime``, ``ModelSession``, manifests (``load_manifest``, ``verify_file``),
  registered models (``registered_model``), installed models (``installables``,
  ``not_installed_error``, ``GGUF_VARIANTS``, ``JOE_US``)
- media: PNG (``png_artifact``, ``encode_png``, ``decode_png``), audio (``render``, ``wav_bytes``,
  ``encode_audio``, ``decode_audio``, SoundFont rendering), MIDI (``Note``, ``read_midi``,
  ``write_midi``)
- text decoding: ``CausalLM``, ``StaticCacheLM``, ``SamplingParams``, ``TextStream``, ``ChatTemplate``,
  ``ContinuousBatcher`` with its ``Scheduling`` limits (``Scheduling.of(context.settings)``)
- export and training: ``export_onnx``, ``check_parity``, ``write_manifest``, ``training_progress``
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from aigc.core.config import Settings
from aigc.core.errors import ExportError, InvalidRequestError, ModelIntegrityError, PluginLoadError
from aigc.core.hookspecs import hookimpl
from aigc.core.manifest import MANIFEST_NAME, Manifest, load_manifest, verify_file
from aigc.core.midi import Note, read_midi, write_midi
from aigc.core.model_install import installables, not_installed_error
from aigc.core.piper_voices import JOE_US
from aigc.core.progress import report_progress
from aigc.core.registered_models import (
    GENAI_CONFIG,
    REFERENCE_PATTERN,
    RegisteredModel,
    load_registered,
    registered_model,
)
from aigc.core.runtime import CUDA, ModelRuntime, ModelSession
from aigc.core.schemas import MAX_SAMPLES, EvalResult
from aigc.core.sdk.checks import check_seeds, checked_file, checked_json
from aigc.core.sdk.context import PluginContext
from aigc.core.sdk.registration import evaluator_hook, generator_hook
from aigc.core.specs import (
    NAME_PATTERN,
    ArtifactData,
    AudioChunk,
    ChatMessage,
    Embedder,
    Embeddings,
    EvalItem,
    Evaluator,
    EvaluatorSpec,
    Generator,
    GeneratorInput,
    GeneratorSpec,
    Modality,
    MultiModelGenerator,
    Options,
    SetEvaluator,
    StreamingGenerator,
)
from aigc.core.validation import invalid

if TYPE_CHECKING:
    from aigc.core.audio import SAMPLE_RATE, render, wav_bytes
    from aigc.core.audio_files import MEDIA_TYPES as AUDIO_MEDIA_TYPES
    from aigc.core.audio_files import AudioFormatUnavailableError
    from aigc.core.audio_files import decode as decode_audio
    from aigc.core.audio_files import encode as encode_audio
    from aigc.core.decoding import (
        CausalLM,
        ContextLengthError,
        DecodeBatch,
        LanguageModel,
        RowResult,
        SamplingParams,
        StaticCacheLM,
        TextStream,
        select_tokens,
    )
    from aigc.core.decoding.chat import ChatTemplate
    from aigc.core.decoding.sampling import TokenLogprob
    from aigc.core.decoding.scheduler import ContinuousBatcher, Scheduling
    from aigc.core.export import (
        assert_dynamic_dims,
        check_parity,
        export_command_line,
        export_onnx,
        load_parameters_from_onnx,
        max_abs_diff,
        restore_parameter_names,
        update_training,
        write_manifest,
    )
    from aigc.core.gguf import VARIANTS as GGUF_VARIANTS
    from aigc.core.images import decode_png, encode_png, png_artifact, png_from_base64
    from aigc.core.soundfont import SOUNDFONT_PATHS, find_soundfont, render_soundfont
    from aigc.core.training import training_progress, update_ema

# name -> (module, attribute): imported on first use, as these modules need numpy or more.
_LAZY = {
    "SAMPLE_RATE": ("aigc.core.audio", "SAMPLE_RATE"),
    "render": ("aigc.core.audio", "render"),
    "wav_bytes": ("aigc.core.audio", "wav_bytes"),
    "AUDIO_MEDIA_TYPES": ("aigc.core.audio_files", "MEDIA_TYPES"),
    "AudioFormatUnavailableError": ("aigc.core.audio_files", "AudioFormatUnavailableError"),
    "decode_audio": ("aigc.core.audio_files", "decode"),
    "encode_audio": ("aigc.core.audio_files", "encode"),
    **{
        name: ("aigc.core.decoding", name)
        for name in (
            "CausalLM",
            "ContextLengthError",
            "ContinuousBatcher",
            "DecodeBatch",
            "Embedder",
            "Embeddings",
            "LanguageModel",
            "RowResult",
            "SamplingParams",
            "Scheduling",
            "StaticCacheLM",
            "TextStream",
            "select_tokens",
        )
    },
    "ChatTemplate": ("aigc.core.decoding.chat", "ChatTemplate"),
    "ContinuousBatcher": ("aigc.core.decoding.scheduler", "ContinuousBatcher"),
    "Scheduling": ("aigc.core.decoding.scheduler", "Scheduling"),
    "TokenLogprob": ("aigc.core.decoding.sampling", "TokenLogprob"),
    **{
        name: ("aigc.core.export", name)
        for name in (
            "assert_dynamic_dims",
            "check_parity",
            "check_seeds",
            "checked_file",
            "checked_json",
            "export_command_line",
            "export_onnx",
            "load_parameters_from_onnx",
            "max_abs_diff",
            "restore_parameter_names",
            "update_training",
            "write_manifest",
        )
    },
    "GGUF_VARIANTS": ("aigc.core.gguf", "VARIANTS"),
    **{
        name: ("aigc.core.images", name)
        for name in ("decode_png", "encode_png", "png_artifact", "png_from_base64")
    },
    **{
        name: ("aigc.core.soundfont", name)
        for name in ("SOUNDFONT_PATHS", "find_soundfont", "render_soundfont")
    },
    "training_progress": ("aigc.core.training", "training_progress"),
    "update_ema": ("aigc.core.training", "update_ema"),
}

__all__ = [
    "AUDIO_MEDIA_TYPES",
    "CUDA",
    "GENAI_CONFIG",
    "GGUF_VARIANTS",
    "JOE_US",
    "MANIFEST_NAME",
    "MAX_SAMPLES",
    "NAME_PATTERN",
    "REFERENCE_PATTERN",
    "SAMPLE_RATE",
    "SOUNDFONT_PATHS",
    "ArtifactData",
    "AudioChunk",
    "AudioFormatUnavailableError",
    "CausalLM",
    "ChatMessage",
    "ChatTemplate",
    "ContextLengthError",
    "ContinuousBatcher",
    "DecodeBatch",
    "Embedder",
    "Embeddings",
    "EvalItem",
    "EvalResult",
    "Evaluator",
    "EvaluatorSpec",
    "ExportError",
    "Generator",
    "GeneratorInput",
    "GeneratorSpec",
    "InvalidRequestError",
    "LanguageModel",
    "Manifest",
    "Modality",
    "ModelIntegrityError",
    "ModelRuntime",
    "ModelSession",
    "MultiModelGenerator",
    "Note",
    "Options",
    "PluginContext",
    "PluginLoadError",
    "RegisteredModel",
    "RowResult",
    "SamplingParams",
    "Scheduling",
    "SetEvaluator",
    "Settings",
    "StaticCacheLM",
    "StreamingGenerator",
    "TextStream",
    "TokenLogprob",
    "assert_dynamic_dims",
    "check_parity",
    "check_seeds",
    "checked_file",
    "checked_json",
    "decode_audio",
    "decode_png",
    "encode_audio",
    "encode_png",
    "evaluator_hook",
    "export_command_line",
    "export_onnx",
    "find_soundfont",
    "generator_hook",
    "hookimpl",
    "installables",
    "invalid",
    "load_manifest",
    "load_parameters_from_onnx",
    "load_registered",
    "max_abs_diff",
    "not_installed_error",
    "png_artifact",
    "png_from_base64",
    "read_midi",
    "registered_model",
    "render",
    "render_soundfont",
    "report_progress",
    "restore_parameter_names",
    "select_tokens",
    "training_progress",
    "update_ema",
    "update_training",
    "verify_file",
    "wav_bytes",
    "write_manifest",
    "write_midi",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'aigc.core.sdk' has no attribute {name!r}")
    module, attribute = target
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value
