"""The ``text-relevance`` evaluator: ONNX Runtime, numpy and ``tokenizers`` only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import Embeddings, EvalItem, EvalResult
from aigc.plugins.lib.sentence_embedding.encoder import SentenceEncoder
from aigc.plugins.text_relevance.options import RelevanceOptions


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
