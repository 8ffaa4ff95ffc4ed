"""One registered model folder, loaded for generation (ONNX Runtime, numpy and ``tokenizers`` only).

An optimum folder (``optimum-cli export onnx --task text-generation-with-past``) runs through
aigc's decode loop: ``model.onnx`` has ``past_key_values.{i}.key|value`` inputs and
``present.{i}.*`` outputs; sizes and end-of-text come from Hugging Face's ``config.json``; prompts
are encoded by ``tokenizer.json`` with its own special tokens, as Hugging Face tokenizers do.
"""

from __future__ import annotations

import json
from typing import Any

from aigc.core.decoding import CausalLM
from aigc.core.errors import PluginLoadError
from aigc.core.manifest import verify_file
from aigc.core.registered_models import RegisteredModel
from aigc.core.runtime import ModelRuntime, ModelSession
from aigc.plugins.text_transformer.generator import TextTransformerGenerator

ONNX_FILE, CONFIG_FILE, TOKENIZER_FILE = "model.onnx", "config.json", "tokenizer.json"


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

    def __init__(self, session: ModelSession, tokenizer: Any, config: dict[str, Any]) -> None:
        if not any(name.startswith("past_key_values.") for name in session.input_names):
            raise PluginLoadError(
                f"{session.model.path} has no past_key_values inputs: export it with "
                "`optimum-cli export onnx --task text-generation-with-past`"
            )
        context, kv_heads, head_dim, eos = model_sizes(config)
        self.session, self.tokenizer, self.model_sha256 = session, tokenizer, session.sha256
        self.eos_token_id = eos  # type: ignore[assignment]  # None: the model has no end-of-text token
        self.model = CausalLM(session, context, eos, (kv_heads, head_dim))

    def prompt_ids(self, prompt: str) -> list[int]:
        """The prompt's ids with the tokenizer's own special tokens (e.g. Llama's BOS), as transformers."""
        ids: list[int] = self.tokenizer.encode(prompt, add_special_tokens=True).ids
        return ids


def load_optimum(runtime: ModelRuntime, model: RegisteredModel) -> OptimumModel:
    """Load an optimum folder, every file used checked against its sha256 at registration."""
    from tokenizers import Tokenizer

    for name in (CONFIG_FILE, TOKENIZER_FILE):
        verify_file(model.path, name, model.manifest)
    session = runtime.session(model.path, ONNX_FILE, manifest=model.manifest)
    config = json.loads((model.path / CONFIG_FILE).read_text())
    return OptimumModel(session, Tokenizer.from_file(str(model.path / TOKENIZER_FILE)), config)
