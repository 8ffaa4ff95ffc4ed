"""Folders built by onnxruntime-genai's model builder (``genai_config.json``), run by onnxruntime-genai.

onnxruntime-genai is optional and never a dependency of aigc: it depends on the CPU
``onnxruntime``, whose files overwrite ``onnxruntime-gpu``'s, so it belongs in its own
environment. Without it such a folder fails with an error naming the package.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aigc.core.sdk import (
    GENAI_CONFIG,
    ArtifactData,
    GeneratorInput,
    PluginLoadError,
    RegisteredModel,
    invalid,
)
from aigc.plugins.onnx_causal_lm.model import TOKENIZER_FILE
from aigc.plugins.onnx_causal_lm.options import CausalLMOptions

MEDIA_TYPE = "text/plain"


def import_genai() -> Any:
    """The ``onnxruntime_genai`` module, or a ``PluginLoadError`` saying how to get it."""
    try:
        import onnxruntime_genai
    except ImportError as error:
        raise PluginLoadError(
            f"this model folder was built by onnxruntime-genai's model builder ({GENAI_CONFIG}); running "
            "it needs the optional package onnxruntime-genai, which is not installed. Install it in a "
            "separate environment (pip install onnxruntime-genai; it depends on the CPU onnxruntime, "
            "which overwrites onnxruntime-gpu), or export the model with `optimum-cli export onnx "
            "--task text-generation-with-past` instead"
        ) from error
    return onnxruntime_genai


class GenaiModel:
    """A model run by onnxruntime-genai's own generator loop, one sample per seed."""

    def __init__(self, model: RegisteredModel) -> None:
        genai = import_genai()
        model.check()
        from tokenizers import Tokenizer

        self.genai = genai
        self.model = genai.Model(str(model.path))
        # tokenizer.json through `tokenizers`, as for optimum folders: onnxruntime-genai's own tokenizer
        # skips the special tokens (Llama's <s>) of folders saved by transformers 5.
        self.tokenizer = Tokenizer.from_file(str(model.path / TOKENIZER_FILE))
        self.model_sha256: str | None = model.sha256
        config = json.loads((model.path / GENAI_CONFIG).read_text())["model"]
        self.context_length = int(config["context_length"])
        eos = config.get("eos_token_id")
        self.eos_token_ids = set(eos if isinstance(eos, list) else [eos])

    def _one(self, prompt: str, options: CausalLMOptions, seed: int) -> ArtifactData:
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(options, name):
                raise invalid(
                    f"options.{name}", getattr(options, name), "onnxruntime-genai folders do not offer it"
                )
        prompt_ids = self.tokenizer.encode(prompt, add_special_tokens=True).ids
        params = self.genai.GeneratorParams(self.model)
        params.set_search_options(
            max_length=min(len(prompt_ids) + options.max_new_tokens, self.context_length),
            do_sample=options.temperature > 0,
            temperature=options.temperature or 1.0,
            top_k=options.top_k,
            top_p=options.top_p,
            repetition_penalty=options.repetition_penalty,
            random_seed=seed % 2**31,
        )
        generator = self.genai.Generator(self.model, params)
        generator.append_tokens(prompt_ids)
        while not generator.is_done():
            generator.generate_next_token()
        new_ids = [int(t) for t in generator.get_sequence(0)[len(prompt_ids) :]]
        if new_ids and new_ids[-1] in self.eos_token_ids:
            new_ids.pop()
        metadata = {"prompt_tokens": len(prompt_ids), "new_tokens": len(new_ids)}
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        return ArtifactData(MEDIA_TYPE, text=text, metadata=metadata)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: CausalLMOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One sample per input, each decoded alone with its own seed."""
        return [[self._one(i.prompt or "", options, seed)] for i, seed in zip(inputs, seeds, strict=True)]
