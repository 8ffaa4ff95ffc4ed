"""The ``onnx-diffusion-pipeline`` generator: PNGs from any registered pipeline, chosen by ``model``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from aigc.core.sdk import ArtifactData, GeneratorInput, ModelRuntime, check_seeds, invalid, png_artifact
from aigc.core.sdk import registered_model as registered
from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions
from aigc.plugins.onnx_diffusion_pipeline.pipeline import DiffusionPipeline


class OnnxDiffusionPipelineGenerator:
    """Loads each registered pipeline on first use (every file sha256-checked) and keeps it."""

    model_sha256: str | None = None  # several models: see model_sha256_for

    def __init__(self, runtime: ModelRuntime, models_file: Path) -> None:
        self.runtime = runtime
        self.models_file = models_file
        self._pipelines: dict[str, DiffusionPipeline] = {}
        self._lock = threading.Lock()

    def pipeline(self, name: str) -> DiffusionPipeline:
        """The loaded pipeline ``name``."""
        with self._lock:
            if name not in self._pipelines:
                entry = registered(self.models_file, name)
                if entry.format != "stable-diffusion":
                    raise invalid(
                        "options.model",
                        name,
                        f"is a {entry.format} model, not a Stable Diffusion ONNX folder",
                    )
                self._pipelines[name] = DiffusionPipeline(self.runtime, entry)
            return self._pipelines[name]

    def model_sha256_for(self, options: PipelineOptions) -> str | None:
        """The sha256 over every file of the pipeline ``options`` chose (``RegisteredModel.sha256``)."""
        return self.pipeline(options.model).model_sha256

    def generate(
        self, inputs: Sequence[GeneratorInput], options: PipelineOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One PNG per input; a seed gives the same image alone or in any batch."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        prompts = [item.prompt or "" for item in inputs]
        images = self.pipeline(options.model).generate(prompts, options, list(seeds))
        return [[png_artifact(image, 1, {"model": options.model})] for image in images]
