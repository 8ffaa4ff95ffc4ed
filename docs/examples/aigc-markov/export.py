"""Count the Zen of Python's word bigrams and export the chain as ``aigc_markov/model.onnx``.

``pip install -e '.[export]'; python export.py`` (deterministic: counting involves no randomness).
The graph is one embedding lookup: row ``w`` holds log P(next word | w) (``corpus.transition_log_probs``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from aigc_markov import VERSION
from aigc_markov.corpus import transition_log_probs, vocabulary, zen_lines

from aigc.core.sdk import check_parity, export_onnx, write_manifest

MODEL_DIR = Path(__file__).resolve().parent / "aigc_markov"


class Chain(torch.nn.Module):
    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.table = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))

    def forward(self, token: torch.Tensor) -> torch.Tensor:
        return self.table(token)


def main() -> None:
    lines = zen_lines()
    vocab = vocabulary(lines)
    chain = Chain(transition_log_probs(lines, vocab)).eval()
    path = export_onnx(
        chain, {"token": np.array([0, 1], dtype=np.int64)}, MODEL_DIR / "model.onnx", ["logits"]
    )
    diffs = check_parity(chain, path, lambda batch: {"token": np.arange(batch, dtype=np.int64) % len(vocab)})
    (MODEL_DIR / "vocab.json").write_text(json.dumps(vocab, indent=0) + "\n")
    training = {"command": "python export.py", "data": "the Zen of Python (import this)", "seed": None}
    write_manifest(MODEL_DIR, "markov", VERSION, ["model.onnx", "vocab.json"], training=training)
    print(f"{len(vocab)} words; wrote {path}; max |torch - onnxruntime| per batch size: {diffs}")


if __name__ == "__main__":
    main()
