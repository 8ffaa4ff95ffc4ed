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

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from aigc.core.errors import ExportError
from aigc.core.export import (
    assert_dynamic_dims,
    export_onnx,
    load_parameters_from_onnx,
    max_abs_diff,
    restore_parameter_names,
    write_manifest,
)
from aigc.plugins.text_transformer.model import Decoder, DecoderConfig, OnnxDecoder, input_names, output_names
from aigc.plugins.text_transformer.train import CHECKPOINT_FILE, DEFAULT_OUT, EOS, TOKENIZER_FILE

PLUGIN_DIR = Path(__file__).resolve().parent
NAME, VERSION = "text-transformer", "1.0.0"
ONNX_FILE, CONFIG_FILE = "model.onnx", "config.json"
PARITY_TOLERANCE = 1e-4
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
    decoder = Decoder(load_config(folder))
    wrapper = load_parameters_from_onnx(OnnxDecoder(decoder), folder / ONNX_FILE)
    return wrapper.decoder.eval()  # type: ignore[no-any-return]


def feeds(
    config: DecoderConfig, batch: int, new: int, past: int, seed: int = 0, pad_rows: bool = True
) -> dict[str, np.ndarray]:
    """Random graph inputs; with ``pad_rows`` odd rows are left-padded by a few positions."""
    rng = np.random.default_rng(seed)
    total = past + new
    mask = np.ones((batch, total), dtype=np.int64)
    if pad_rows:
        for row in range(1, batch, 2):
            mask[row, : min(total - 1, 1 + row % 5)] = 0
    positions = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)[:, past:]
    result = {
        "input_ids": rng.integers(0, config.vocab_size, (batch, new), dtype=np.int64),
        "attention_mask": mask,
        "position_ids": positions.astype(np.int64),
    }
    shape = (batch, config.n_kv_heads, past, config.head_dim)
    for i in range(config.n_layers):
        result[f"past_key_values.{i}.key"] = rng.standard_normal(shape, dtype=np.float32)
        result[f"past_key_values.{i}.value"] = rng.standard_normal(shape, dtype=np.float32)
    return result


def parity(decoder: Decoder, path: Path, config: DecoderConfig) -> dict[str, float]:
    """Max |torch - ONNX| over all outputs per (batch, new, past) case; raises above the tolerance."""
    wrapper = OnnxDecoder(decoder).eval()
    diffs: dict[str, float] = {}
    for batch, new, past in PARITY_CASES:
        per_output = max_abs_diff(wrapper, path, feeds(config, batch, new, past))
        diffs[f"batch{batch}_new{new}_past{past}"] = max(per_output.values())
    worst = max(diffs.values())
    if worst > PARITY_TOLERANCE:
        raise ExportError(f"{path.name}: torch and ONNX differ by up to {worst} (cases {diffs})")
    return diffs


def dynamic_shapes(config: DecoderConfig) -> tuple[Any, ...]:
    """torch.export dynamic shapes for ``OnnxDecoder``'s flat signature."""
    dim = torch.export.Dim
    batch, sequence = dim("batch"), dim("sequence")
    past, total = dim("past_sequence"), dim("total_sequence")
    cache = tuple({0: batch, 2: past} for _ in range(2 * config.n_layers))
    return ({0: batch, 1: sequence}, {0: batch, 1: total}, {0: batch, 1: sequence}, cache)


def dynamic_inputs(config: DecoderConfig) -> dict[str, tuple[int, ...]]:
    """The input axes that must stay symbolic in the written graph."""
    dims: dict[str, tuple[int, ...]] = {"input_ids": (0, 1), "attention_mask": (0, 1), "position_ids": (0, 1)}
    for name in input_names(config)[3:]:
        dims[name] = (0, 2)
    return dims


def export_decoder(decoder: Decoder, path: Path) -> None:
    """Write ``path`` from ``decoder``, with parameter names restored and dynamic dims checked."""
    config = decoder.config
    # Example sizes >= 2 everywhere: the exporter fixes a dimension whose example size is 1.
    example = feeds(config, batch=2, new=3, past=4, pad_rows=False)
    export_onnx(
        OnnxDecoder(decoder), example, path, output_names(config), dynamic_shapes=dynamic_shapes(config)
    )
    missing = restore_parameter_names(path, OnnxDecoder(decoder))
    if missing:
        raise ExportError(f"{path.name}: no initializer holds parameters {missing}")
    assert_dynamic_dims(path, dynamic_inputs(config))


def export(checkpoint_dir: Path, folder: Path, command: str, console: Console) -> dict[str, Any]:
    """Export, check parity and greedy identity, copy the tokenizer, write the manifest."""
    checkpoint = torch.load(checkpoint_dir / CHECKPOINT_FILE, weights_only=False)
    config = DecoderConfig(**checkpoint["config"])
    decoder = Decoder(config)
    decoder.load_state_dict(checkpoint["state_dict"])
    decoder.eval()
    path = folder / ONNX_FILE
    export_decoder(decoder, path)
    diffs = parity(decoder, path, config)
    shutil.copyfile(checkpoint_dir / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    from tokenizers import Tokenizer

    eos = Tokenizer.from_file(str(folder / TOKENIZER_FILE)).token_to_id(EOS)
    (folder / CONFIG_FILE).write_text(
        json.dumps({"decoder": config.to_dict(), "eos_token_id": eos, "eos_token": EOS}, indent=2) + "\n"
    )
    training = dict(checkpoint["training"])
    training.pop("partial", None)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint-dir", type=Path, default=DEFAULT_OUT, help="holds checkpoint.pt")
    parser.add_argument("--folder", type=Path, default=PLUGIN_DIR, help="gets model.onnx and the manifest")
    args = parser.parse_args()
    command = " ".join(["python -m aigc.plugins.text_transformer.export", *sys.argv[1:]])
    export(args.checkpoint_dir, args.folder, command, Console())


if __name__ == "__main__":
    main()
