"""Dequantise a GGUF chat model into a float32 Hugging Face folder (config, safetensors, tokenizer).

    .venv/bin/python benchmarks/peers/dequantize_gguf.py --gguf FILE.gguf --out FOLDER

transformers reads the GGUF (``gguf_file=``, the ``gguf`` package dequantises with numpy), so peers
that cannot read quantised GGUF themselves (onnxruntime-genai's model builder) start from the same
weights offline.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def dequantize(gguf: Path, out: Path) -> None:
    """Write ``out`` with the model's float32 weights, config, generation config and tokenizer."""
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are plain float32 tensors by now; the GGUF quantizer record only blocks saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    # transformers 5 writes "TokenizersBackend", which older readers skip silently.
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, required=True, help="the GGUF file")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    args = parser.parse_args()
    dequantize(args.gguf, args.out)


if __name__ == "__main__":
    main()
