"""The ``smollm2`` generator: the installed conversions of SmolLM2-135M-Instruct, chosen by ``variant``.

Serving needs ONNX Runtime, numpy, ``tokenizers`` and Jinja2 only. A conversation is rendered with
the model's own chat template; a plain prompt is the user's message (``template="chat"``) or is
continued as it is (``template="none"``).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from pathlib import Path

from aigc.core.sdk import (
    GGUF_VARIANTS,
    MANIFEST_NAME,
    ArtifactData,
    ChatMessage,
    GeneratorInput,
    ModelRuntime,
    PluginLoadError,
    Scheduling,
    load_manifest,
    not_installed_error,
)
from aigc.plugins.onnx_causal_lm.model import OptimumModel, load_model_folder
from aigc.plugins.smollm2.options import ChatOptions

MODEL = "smollm2"


class SmolLM2Generator:
    """Loads each installed variant on first use (every file sha256-checked) and keeps it."""

    model_sha256: str | None = None  # several variants: see model_sha256_for

    def __init__(self, runtime: ModelRuntime, models_dir: Path, scheduling: Scheduling | None = None) -> None:
        """``scheduling``: the variants' shared decode batches (continuous batching across requests)."""
        self.runtime, self.models_dir, self.scheduling = runtime, models_dir, scheduling
        self._models: dict[str, OptimumModel] = {}
        self._lock = threading.Lock()

    def folder(self, variant: str) -> Path:
        return self.models_dir / variant

    def model(self, variant: str) -> OptimumModel:
        """The loaded variant; ``PluginLoadError`` naming the install command if it is not installed."""
        with self._lock:
            if variant not in self._models:
                folder = self.folder(variant)
                if not is_installed(folder):
                    raise PluginLoadError(not_installed_error(MODEL, variant, folder))
                manifest = load_manifest(folder)
                self._models[variant] = load_model_folder(self.runtime, folder, manifest, self.scheduling)
            return self._models[variant]

    def model_sha256_for(self, options: ChatOptions) -> str | None:
        """The sha256 of the ONNX graph of the chosen variant."""
        return self.model(options.variant).model_sha256

    @staticmethod
    def _as_chat(item: GeneratorInput, options: ChatOptions) -> GeneratorInput:
        if item.messages is not None or options.template == "none":
            return item
        return GeneratorInput(messages=(ChatMessage(role="user", content=item.prompt or ""),))

    def generate(
        self, inputs: Sequence[GeneratorInput], options: ChatOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One ``text/plain`` answer per input, decoded together (rows leave as they finish)."""
        chats = [self._as_chat(item, options) for item in inputs]
        return self.model(options.variant).generate(chats, options, seeds)

    def stream(
        self, input: GeneratorInput, options: ChatOptions, seed: int
    ) -> Generator[str, None, ArtifactData]:
        """Text deltas of one answer; joined, they equal ``generate``'s text."""
        streamed: ArtifactData = yield from self.model(options.variant).stream(
            self._as_chat(input, options), options, seed
        )
        return streamed


def is_installed(folder: Path) -> bool:
    """Whether ``aigc models install`` finished this variant: the manifest is the last file it writes.
    The files themselves are checked against it when the variant loads, not here."""
    return (folder / MANIFEST_NAME).is_file()


def installed_variants(models_dir: Path) -> list[str]:
    """The variants whose installation finished."""
    return [variant for variant in GGUF_VARIANTS if is_installed(models_dir / variant)]
