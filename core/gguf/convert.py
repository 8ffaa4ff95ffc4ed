"""GGUF file → ONNX model folder (see the package docstring for the layout and variants)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Literal

from aigc.core.errors import ExportError
from aigc.core.gguf.graph import build_graph
from aigc.core.gguf.reader import GgufModel, read_gguf
from aigc.core.gguf.tokenizer import tokenizer_json, write_tokenizer
from aigc.core.manifest import sha256_file

Variant = Literal["quantized", "fp32"]
VARIANTS: tuple[Variant, ...] = ("quantized", "fp32")
ONNX_FILE, DATA_FILE, CONVERSION_FILE = "model.onnx", "model.onnx.data", "conversion.json"


def hf_config(model: GgufModel) -> dict[str, object]:
    """A Hugging Face-style ``config.json`` (what loaders read: sizes, context, special token ids)."""
    c, meta = model.config, model.metadata
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": c.hidden,
        "intermediate_size": c.intermediate,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "num_key_value_heads": c.kv_heads,
        "head_dim": c.head_dim,
        "vocab_size": c.vocab,
        "max_position_embeddings": c.context,
        "rope_theta": c.rope_theta,
        "rms_norm_eps": c.rms_eps,
        "tie_word_embeddings": "output.weight" not in model.tensors,
        "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
        "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
        "pad_token_id": meta.get("tokenizer.ggml.padding_token_id"),
    }


def require_converter() -> None:
    """Raise ``ExportError`` naming the ``chat`` extra when its packages (gguf, onnx) are missing."""
    missing = [name for name in ("gguf", "onnx") if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"converting GGUF files needs the 'chat' extra ({', '.join(missing)} missing): "
            "pip install 'aigc[chat]'"
        )


def convert_gguf(source: Path, out: Path, variant: Variant = "quantized") -> Path:
    """Convert ``source`` into the folder ``out`` (written beside it, then renamed into place, so a
    crash never leaves a half-written folder); ``UnsupportedGgufError`` names what cannot be converted,
    ``ExportError`` a missing ``chat`` extra."""
    require_converter()
    import onnx

    model = read_gguf(source)
    tokenizer_json(model)  # an unsupported tokenizer fails before the slow part
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        graph = build_graph(model, quantized=variant == "quantized")
        onnx.save_model(
            graph,
            str(staging / ONNX_FILE),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=DATA_FILE,
            size_threshold=1024,
        )
        (staging / "config.json").write_text(json.dumps(hf_config(model), indent=2) + "\n")
        write_tokenizer(model, staging)
        conversion = {
            "source": source.name,
            "source_sha256": sha256_file(source),
            "model_name": model.name,
            "quantization": model.quantization,
            "variant": variant,
            "converter": "aigc.core.gguf",
        }
        (staging / CONVERSION_FILE).write_text(json.dumps(conversion, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
