"""Export the trained chorale decoder: ``python -m aigc.plugins.music_transformer.export``.

Reads ``build/music_transformer/checkpoint.pt`` (from ``train.py``) and writes into the plugin
folder ``model.onnx`` (the shared decoder graph with a KV cache, parameter names kept, see
``aigc.plugins.lib.decoder.export``), ``config.json`` (decoder sizes) and ``manifest.json`` (sha256s,
training record, parity figures). The memorization index is written by
``aigc.plugins.music_memorization.build``.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from aigc.core.sdk import write_manifest
from aigc.plugins.lib.decoder.export import (
    export_decoder,
    export_main,
    load_checkpoint,
    load_torch_decoder,
    parity,
)
from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig
from aigc.plugins.lib.decoder.training import CHECKPOINT_FILE
from aigc.plugins.music_transformer import MODEL_DIR, ONNX_FILE, VERSION
from aigc.plugins.music_transformer.generator import CONFIG_FILE
from aigc.plugins.music_transformer.train import DEFAULT_OUT

NAME = "music-transformer"
# (batch, new tokens, past length): prompt (past 0), decode (new 1) and chunked continuation.
PARITY_CASES = ((1, 1, 0), (2, 33, 0), (16, 1, 0), (1, 1, 100), (4, 1, 200), (3, 5, 250), (16, 1, 255))


def load_decoder(folder: Path = MODEL_DIR) -> Decoder:
    """The torch decoder rebuilt from ``folder/model.onnx`` and ``config.json`` (eval mode)."""
    config = DecoderConfig(**json.loads((folder / CONFIG_FILE).read_text())["decoder"])
    return load_torch_decoder(config, folder / ONNX_FILE)


def export(checkpoint_dir: Path, folder: Path, command: str, console: Console) -> dict[str, float]:
    """Export, check parity, write the config and the manifest."""
    decoder, training = load_checkpoint(checkpoint_dir / CHECKPOINT_FILE)
    path = folder / ONNX_FILE
    export_decoder(decoder, path)
    diffs = parity(decoder, path, PARITY_CASES)
    (folder / CONFIG_FILE).write_text(json.dumps({"decoder": decoder.config.to_dict()}, indent=2) + "\n")
    write_manifest(
        folder,
        NAME,
        VERSION,
        [ONNX_FILE, CONFIG_FILE],
        training={**training, "export_command": command, "parity_max_abs": diffs},
    )
    console.print(f"{path} ({path.stat().st_size:,} bytes); max |torch - onnx| per case: {diffs}")
    return diffs


def main() -> None:
    export_main("aigc.plugins.music_transformer.export", DEFAULT_OUT, MODEL_DIR, export)


if __name__ == "__main__":
    main()
