"""Export the trained decoder: ``python -m aigc.plugins.text_transformer.export``.

Reads ``build/text_transformer/checkpoint.pt`` and ``tokenizer.json`` (from ``train.py``) and
writes into the plugin folder:

- ``model.onnx``: one graph with a KV cache, Hugging Face optimum's names (``input_ids``,
  ``attention_mask``, ``position_ids``, ``past_key_values.{i}.key|value`` in; ``logits``,
  ``present.{i}.key|value`` out). Batch, sequence, past length and total length are dynamic
  (checked on the written file); a zero-length past serves the prompt. Weights keep their
  parameter names (``restore_parameter_names``), so tests rebuild the torch module from this
  file alone and no torch checkpoint is committed.
- ``tokenizer.json`` and ``config.json`` (model sizes, context length, end-of-text id);
- ``manifest.json`` with sha256s, the training record, corpus sha256s and parity figures.

Parity against torch is checked at several batch sizes, prompt lengths and past lengths with
left-padded rows, and greedy generation of 64 tokens must be identical.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

from aigc.core.sdk import write_manifest
from aigc.plugins.lib.decoder.export import export_decoder, export_main, load_checkpoint
from aigc.plugins.lib.decoder.export import load_torch_decoder as decoder_from_onnx
from aigc.plugins.lib.decoder.export import parity as decoder_parity
from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig
from aigc.plugins.lib.decoder.training import CHECKPOINT_FILE
from aigc.plugins.text_transformer.train import DEFAULT_OUT, EOS, TOKENIZER_FILE

PLUGIN_DIR = Path(__file__).resolve().parent
NAME, VERSION = "text-transformer", "1.0.0"
ONNX_FILE, CONFIG_FILE = "model.onnx", "config.json"
# (batch, new tokens, past length): prompt (past 0), decode (new 1) and chunked continuation.
PARITY_CASES = (
    (1, 1, 0),
    (1, 16, 0),
    (3, 7, 0),
    (16, 16, 0),
    (1, 1, 37),
    (4, 1, 100),
    (16, 1, 144),
    (2, 9, 20),
)


def load_config(folder: Path = PLUGIN_DIR) -> DecoderConfig:
    """The decoder sizes recorded in ``folder/config.json``."""
    raw = json.loads((folder / CONFIG_FILE).read_text())
    return DecoderConfig(**raw["decoder"])


def load_torch_decoder(folder: Path = PLUGIN_DIR) -> Decoder:
    """The torch decoder rebuilt from ``folder/model.onnx`` and ``config.json`` (eval mode)."""
    return decoder_from_onnx(load_config(folder), folder / ONNX_FILE)


def parity(decoder: Decoder, path: Path) -> dict[str, float]:
    """Max |torch - ONNX| per case of ``PARITY_CASES``; raises above the tolerance."""
    return decoder_parity(decoder, path, PARITY_CASES)


def export(checkpoint_dir: Path, folder: Path, command: str, console: Console) -> dict[str, Any]:
    """Export, check parity and greedy identity, copy the tokenizer, write the manifest."""
    decoder, training = load_checkpoint(checkpoint_dir / CHECKPOINT_FILE)
    config = decoder.config
    path = folder / ONNX_FILE
    export_decoder(decoder, path)
    diffs = parity(decoder, path)
    shutil.copyfile(checkpoint_dir / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    from tokenizers import Tokenizer

    eos = Tokenizer.from_file(str(folder / TOKENIZER_FILE)).token_to_id(EOS)
    (folder / CONFIG_FILE).write_text(
        json.dumps({"decoder": config.to_dict(), "eos_token_id": eos, "eos_token": EOS}, indent=2) + "\n"
    )
    manifest = write_manifest(
        folder,
        NAME,
        VERSION,
        [ONNX_FILE, TOKENIZER_FILE, CONFIG_FILE],
        training={**training, "export_command": command, "parity_max_abs": diffs},
    )
    size = sum(f.size for f in manifest.files.values())
    console.print(f"{path} ({path.stat().st_size:,} bytes; plugin files {size:,} bytes)")
    console.print(f"max |torch - onnx| per case: {diffs}")
    return diffs


def main() -> None:
    export_main("aigc.plugins.text_transformer.export", DEFAULT_OUT, PLUGIN_DIR, export)


if __name__ == "__main__":
    main()
