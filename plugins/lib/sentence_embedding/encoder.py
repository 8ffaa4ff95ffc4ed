"""all-MiniLM-L6-v2 sentence embeddings on ONNX Runtime, numpy and ``tokenizers`` (no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aigc.core.sdk import Embeddings, ModelSession
from aigc.plugins.lib.sentence_embedding import ONNX_FILE, TOKENIZER_FILE

if TYPE_CHECKING:
    from aigc.core.sdk import ModelRuntime

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
DIMENSIONS = 384
BATCH = 32


def load_tokenizer(path: Path) -> Any:
    """The WordPiece tokenizer, truncating at ``MAX_TOKENS`` and padding to the longest in a batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class SentenceEncoder:
    """Unit-length sentence embeddings from the exported graph."""

    def __init__(self, session: ModelSession, tokenizer: Any) -> None:
        self.session, self.tokenizer = session, tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One embedding row per text (float32, L2 norm 1)."""
        vectors: np.ndarray = self.embed(texts).vectors
        return vectors

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """The texts' embeddings (as ``encode``) and how many tokens were read (after truncation
        at ``MAX_TOKENS``, special tokens included, padding not)."""
        rows, tokens = [], 0
        for start in range(0, len(texts), BATCH):
            encodings = self.tokenizer.encode_batch(list(texts[start : start + BATCH]))
            masks = np.array([e.attention_mask for e in encodings], np.int64)
            feeds = {"input_ids": np.array([e.ids for e in encodings], np.int64), "attention_mask": masks}
            rows.append(self.session.run(feeds)["sentence_embedding"])
            tokens += int(masks.sum())
        return Embeddings(np.concatenate(rows) if rows else np.zeros((0, DIMENSIONS), np.float32), tokens)


def load_sentence_encoder(runtime: ModelRuntime, folder: Path) -> SentenceEncoder:
    """The encoder from an exported ``folder`` (both files sha256-checked against its manifest)."""
    from aigc.core.sdk import checked_file

    tokenizer = load_tokenizer(checked_file(folder, TOKENIZER_FILE))
    return SentenceEncoder(runtime.session(folder, ONNX_FILE), tokenizer)
