"""One registered model folder, loaded for generation (ONNX Runtime, numpy and ``tokenizers`` only).

An optimum folder (``optimum-cli export onnx --task text-generation-with-past``) runs through
aigc's decode loop: ``model.onnx`` has ``past_key_values.{i}.key|value`` inputs and
``present.{i}.*`` outputs; sizes and end-of-text come from Hugging Face's ``config.json``; prompts
are encoded by ``tokenizer.json`` with its own special tokens, as Hugging Face tokenizers do.
A folder converted from GGUF (``aigc.core.gguf``) has the same files, and a graph with a static
KV cache (a ``seqlens_k`` input), which runs through ``StaticCacheLM``. When
``tokenizer_config.json`` has a ``chat_template``, the model also answers conversations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigc.core.sdk import (
    CausalLM,
    ChatTemplate,
    ContinuousBatcher,
    Manifest,
    ModelRuntime,
    ModelSession,
    PluginLoadError,
    RegisteredModel,
    Scheduling,
    StaticCacheLM,
)
from aigc.plugins.text_transformer.generator import TextTransformerGenerator

ONNX_FILE, CONFIG_FILE, TOKENIZER_FILE = "model.onnx", "config.json", "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"


def model_sizes(config: dict[str, Any]) -> tuple[int, int, int, int | None]:
    """``(context length, kv heads, head dim, end-of-text id)`` from a Hugging Face ``config.json``
    (Llama-style names, or GPT-2's ``n_positions``/``n_head``/``n_embd``)."""
    context = config.get("max_position_embeddings") or config.get("n_positions") or config.get("n_ctx")
    heads = config.get("num_attention_heads") or config.get("n_head")
    width = config.get("hidden_size") or config.get("n_embd")
    if not (context and heads and width):
        raise PluginLoadError(f"{CONFIG_FILE} lacks the context length, head count or width of the model")
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or width // heads
    eos = config.get("eos_token_id")
    eos_id = eos[0] if isinstance(eos, list) and eos else eos
    return int(context), int(kv_heads), int(head_dim), None if eos_id is None else int(eos_id)


class OptimumModel(TextTransformerGenerator):
    """The text-transformer generator's loop and options on a Hugging Face model's files."""

    def __init__(
        self,
        session: ModelSession,
        tokenizer: Any,
        config: dict[str, Any],
        sha256: str,
        template: ChatTemplate | None = None,
        scheduling: Scheduling | None = None,
    ) -> None:
        """``scheduling``: the shared decode batch of a static-cache graph (continuous batching
        across requests); ``None`` or ``max_rows == 0``: each request decodes alone."""
        if not any(name.startswith("past_key_values.") for name in session.input_names):
            raise PluginLoadError(
                f"{session.model.path} has no past_key_values inputs: export it with "
                "`optimum-cli export onnx --task text-generation-with-past`"
            )
        context, kv_heads, head_dim, eos = model_sizes(config)
        self.session, self.tokenizer, self.model_sha256 = session, tokenizer, sha256
        self.eos_token_id = eos  # type: ignore[assignment]  # None: the model has no end-of-text token
        self.chat_template = template
        if "seqlens_k" in session.input_names:
            static = StaticCacheLM(session, context, eos, (kv_heads, head_dim))
            self.model = static
            if scheduling is not None and scheduling.max_rows > 0:
                name = "/".join(session.model.path.parts[-3:-1])  # e.g. smollm2/quantized
                self.model = ContinuousBatcher(static, name, scheduling.max_rows, scheduling.max_waiting)
        else:
            self.model = CausalLM(session, context, eos, (kv_heads, head_dim))

    def prompt_ids(self, prompt: str) -> list[int]:
        """The prompt's ids with the tokenizer's own special tokens (e.g. Llama's BOS), as transformers."""
        ids: list[int] = self.tokenizer.encode(prompt, add_special_tokens=True).ids
        return ids


def load_model_folder(
    runtime: ModelRuntime, folder: Path, manifest: Manifest, scheduling: Scheduling | None = None
) -> OptimumModel:
    """Load a Hugging Face-style folder. Every file ``manifest`` lists (graph, external weights,
    config, tokenizer) is checked against its sha256 first, by the runtime; the model's sha256
    covers them all (``Manifest.files_sha256``)."""
    from tokenizers import Tokenizer

    session = runtime.session(folder, ONNX_FILE, manifest=manifest)
    template = None
    if TOKENIZER_CONFIG_FILE in manifest.files:
        template = ChatTemplate.from_tokenizer_config(
            json.loads((folder / TOKENIZER_CONFIG_FILE).read_text())
        )
    config = json.loads((folder / CONFIG_FILE).read_text())
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    return OptimumModel(session, tokenizer, config, manifest.files_sha256(), template, scheduling)


def load_optimum(
    runtime: ModelRuntime, model: RegisteredModel, scheduling: Scheduling | None = None
) -> OptimumModel:
    """Load a registered folder, every file checked against its sha256 at registration."""
    return load_model_folder(runtime, model.path, model.manifest, scheduling)
