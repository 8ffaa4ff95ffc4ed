"""Convert the decoder to a Hugging Face ``LlamaForCausalLM`` folder.

``python -m aigc.plugins.text_transformer.convert OUT`` writes ``config.json``,
``model.safetensors``, ``generation_config.json``, ``tokenizer.json`` and
``tokenizer_config.json`` from the plugin's ONNX file (weights read back by name), so other
runtimes (transformers, onnxruntime-genai's model builder) can load exactly the same weights.

The mapping is a renaming: this model's parameter names are Llama's without the ``model.``
prefix, and the output head is tied to the embedding (``tie_word_embeddings``). Needs torch and
``safetensors``, not transformers.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import torch

from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig

EOS = "<|endoftext|>"


def llama_config(config: DecoderConfig, eos_token_id: int) -> dict[str, Any]:
    """``LlamaConfig`` fields equivalent to ``config``."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config.vocab_size,
        "hidden_size": config.d_model,
        "intermediate_size": config.d_ff,
        "num_hidden_layers": config.n_layers,
        "num_attention_heads": config.n_heads,
        "num_key_value_heads": config.n_kv_heads,
        "head_dim": config.head_dim,
        "max_position_embeddings": config.context_length,
        "rms_norm_eps": config.norm_eps,
        "rope_theta": config.rope_theta,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": eos_token_id,
        "eos_token_id": eos_token_id,
        "pad_token_id": eos_token_id,
        "torch_dtype": "float32",
    }


def llama_state_dict(decoder: Decoder) -> dict[str, torch.Tensor]:
    """The decoder's weights under ``LlamaForCausalLM`` names (tied head stored once, as HF does)."""
    return {
        f"model.{name}": tensor.detach().clone().contiguous() for name, tensor in decoder.state_dict().items()
    }


def save_llama_folder(decoder: Decoder, tokenizer_file: Path, eos_token_id: int, out: Path) -> Path:
    """Write a folder that ``LlamaForCausalLM.from_pretrained(out)`` loads offline."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(llama_state_dict(decoder), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(llama_config(decoder.config, eos_token_id), indent=2) + "\n")
    generation = {"bos_token_id": eos_token_id, "eos_token_id": eos_token_id, "pad_token_id": eos_token_id}
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    shutil.copyfile(tokenizer_file, out / "tokenizer.json")
    tokenizer_config = {
        # transformers 4.x silently skips the "TokenizersBackend" class that version 5 writes.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": EOS,
        "eos_token": EOS,
        "pad_token": EOS,
        "model_max_length": decoder.config.context_length,
        "add_bos_token": False,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    return out


def main() -> None:
    from aigc.plugins.text_transformer.export import PLUGIN_DIR, load_torch_decoder
    from aigc.plugins.text_transformer.generator import load_model_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (created)")
    parser.add_argument("--folder", type=Path, default=PLUGIN_DIR, help="plugin folder with model.onnx")
    args = parser.parse_args()
    eos = int(load_model_config(args.folder)["eos_token_id"])
    save_llama_folder(load_torch_decoder(args.folder), args.folder / "tokenizer.json", eos, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
