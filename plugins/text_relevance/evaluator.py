"""The ``text-relevance`` evaluator: ONNX Runtime, numpy and ``tokenizers`` only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.sdk import Embeddings, EvalItem, EvalResult, ModelSession
from aigc.plugins.text_relevance.options import RelevanceOptions

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


class RelevanceEvaluator:
    """Cosine similarity of each text's embedding to its prompt's; it also embeds texts
    (``POST /v1/embeddings`` with model ``text-relevance``)."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self.encoder = encoder

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """all-MiniLM-L6-v2 embeddings of ``texts``."""
        return self.encoder.embed(texts)

    def evaluate(self, items: Sequence[EvalItem], options: RelevanceOptions) -> list[list[EvalResult]]:
        prompts = sorted({item.prompt for item in items if item.prompt})
        texts = [item.artifact.text or "" for item in items]
        embeddings = self.encoder.encode(prompts + texts)
        by_prompt = dict(zip(prompts, embeddings[: len(prompts)], strict=True))
        results = []
        for item, embedding in zip(items, embeddings[len(prompts) :], strict=True):
            if not item.prompt:
                results.append([EvalResult(metric="relevance", error="no prompt to compare with")])
                continue
            cosine = float(np.clip(np.dot(by_prompt[item.prompt], embedding), -1.0, 1.0))
            passed = None if options.min_similarity is None else cosine >= options.min_similarity
            results.append(
                [
                    EvalResult(
                        metric="relevance",
                        score=(cosine + 1.0) / 2.0,
                        value=cosine,
                        passed=passed,
                        reason=f"cosine similarity to the prompt {cosine:.3f}",
                    )
                ]
            )
        return results
