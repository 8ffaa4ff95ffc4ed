"""The ``onnx-causal-lm`` generator: text from any registered model, chosen per request by ``model``."""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from aigc.core.sdk import ArtifactData, GeneratorInput, ModelRuntime, Scheduling, invalid, registered_model
from aigc.plugins.onnx_causal_lm.genai import GenaiModel
from aigc.plugins.onnx_causal_lm.model import load_optimum
from aigc.plugins.onnx_causal_lm.options import CausalLMOptions


class OnnxCausalLMGenerator:
    """Loads each registered model on first use (sha256-checked) and keeps it."""

    model_sha256: str | None = None  # several models: see model_sha256_for

    def __init__(
        self, runtime: ModelRuntime, models_file: Path, scheduling: Scheduling | None = None
    ) -> None:
        self.runtime = runtime
        self.models_file = models_file
        self.scheduling = scheduling or Scheduling()
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def model(self, name: str) -> Any:
        """The loaded model ``name`` (an ``OptimumModel`` or a ``GenaiModel``)."""
        with self._lock:
            if name not in self._models:
                entry = registered_model(self.models_file, name)
                if entry.format == "piper":
                    raise invalid(
                        "options.model", name, "is a Piper voice: use it with speech-piper -o voice=NAME"
                    )
                if entry.format == "stable-diffusion":
                    raise invalid(
                        "options.model",
                        name,
                        "is a Stable Diffusion pipeline: use it with onnx-diffusion-pipeline -o model=NAME",
                    )
                self._models[name] = (
                    GenaiModel(entry)
                    if entry.format == "onnxruntime-genai"
                    else load_optimum(self.runtime, entry, self.scheduling)
                )
            return self._models[name]

    def model_sha256_for(self, options: CausalLMOptions) -> str | None:
        """The sha256 over every file of the model ``options`` chose (``RegisteredModel.sha256``)."""
        sha256: str | None = self.model(options.model).model_sha256
        return sha256

    def generate(
        self, inputs: Sequence[GeneratorInput], options: CausalLMOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One ``text/plain`` artifact per input."""
        result: list[list[ArtifactData]] = self.model(options.model).generate(inputs, options, seeds)
        return result

    def stream(
        self, input: GeneratorInput, options: CausalLMOptions, seed: int
    ) -> Generator[str, None, ArtifactData]:
        """Text deltas of one sample (onnxruntime-genai models give their text in one delta)."""
        model = self.model(options.model)
        if isinstance(model, GenaiModel):
            [[artifact]] = model.generate([input], options, [seed])
            yield artifact.text or ""
            return artifact
        streamed: ArtifactData = yield from model.stream(input, options, seed)
        return streamed
