"""The ``text-perplexity`` evaluator: ONNX Runtime, numpy and ``tokenizers`` only.

Perplexity = exp(mean negative log-likelihood per token) of the artifact's text under the
reference model, the text preceded by ``<|endoftext|>`` (and by its prompt when
``condition_on_prompt``; the prompt's tokens are context, not scored). Text longer than the
context is scored in windows of ``context_length`` tokens that advance by half a context, each
token scored once with at least half a context before it (as in Hugging Face's perplexity guide).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from aigc.core.sdk import CausalLM, EvalItem, EvalResult, ModelSession
from aigc.plugins.text_perplexity.options import PerplexityOptions

WINDOWS_PER_RUN = 8


def windows(tokens: Sequence[int], first_target: int, context: int) -> list[tuple[list[int], int]]:
    """``(window tokens, index of its first scored token)`` covering targets ``first_target..len-1`` once."""
    first_target = max(1, first_target)
    if len(tokens) <= context:
        return [(list(tokens), first_target)]
    stride = context // 2
    result = []
    scored_until = first_target
    start = 0
    while scored_until < len(tokens):
        start = max(0, min(start, len(tokens) - context))
        window = list(tokens[start : start + context])
        result.append((window, max(1, scored_until - start)))
        scored_until = start + len(window)
        start += stride
    return result


class PerplexityEvaluator:
    """Scores text by its perplexity under an ONNX causal LM."""

    def __init__(self, session: ModelSession, tokenizer: Any, config: dict[str, Any]) -> None:
        self.tokenizer = tokenizer
        self.bos = int(config["eos_token_id"])
        self.vocab_size = int(config["decoder"]["vocab_size"])
        self.model = CausalLM(session, int(config["decoder"]["context_length"]), self.bos)

    def _encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False).ids
        return ids

    def negative_log_likelihoods(self, texts: Sequence[tuple[str | None, str]]) -> list[tuple[float, int]]:
        """Summed NLL (nats) and scored-token count of each ``(prompt, text)``."""
        jobs: list[tuple[int, list[int], int]] = []
        for index, (prompt, text) in enumerate(texts):
            context = [self.bos, *(self._encode(prompt) if prompt else [])]
            tokens = context + self._encode(text)
            for window, first in windows(tokens, len(context), self.model.context_length):
                jobs.append((index, window, first))
        totals = [(0.0, 0) for _ in texts]
        jobs.sort(key=lambda job: len(job[1]))  # similar lengths share a run: less padding
        for start in range(0, len(jobs), WINDOWS_PER_RUN):
            chunk = jobs[start : start + WINDOWS_PER_RUN]
            log_probs = self.model.token_log_probs([window for _, window, _ in chunk])
            for (index, _, first), lp in zip(chunk, log_probs, strict=True):
                scored = lp[first - 1 :]
                nll, count = totals[index]
                totals[index] = (nll - float(np.sum(scored)), count + len(scored))
        return totals

    def evaluate(self, items: Sequence[EvalItem], options: PerplexityOptions) -> list[list[EvalResult]]:
        """One ``perplexity`` result per item."""
        texts = [
            (item.prompt if options.condition_on_prompt else None, item.artifact.text or "") for item in items
        ]
        results = []
        for (_, text), (nll, count) in zip(texts, self.negative_log_likelihoods(texts), strict=True):
            if count == 0 or not text:
                results.append([EvalResult(metric="perplexity", error="the text has no tokens to score")])
                continue
            mean = nll / count
            perplexity = math.exp(min(mean, 700.0))
            score = max(0.0, min(1.0, 1.0 - mean / math.log(self.vocab_size)))
            passed = None if options.max_perplexity is None else perplexity <= options.max_perplexity
            limit = "" if options.max_perplexity is None else f" (limit {options.max_perplexity:g})"
            results.append(
                [
                    EvalResult(
                        metric="perplexity",
                        score=score,
                        value=perplexity,
                        passed=passed,
                        reason=f"perplexity {perplexity:.1f} over {count} tokens{limit}",
                        details={"tokens": count, "mean_nll": mean},
                    )
                ]
            )
        return results
