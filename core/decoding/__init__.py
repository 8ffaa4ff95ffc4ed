"""Autoregressive decoding for ONNX language models: numpy + ONNX Runtime only.

- :mod:`aigc.core.decoding.sampling`: the next-token maths (repetition penalty, temperature,
  top-k, top-p, per-row random generators), vectorised over the batch;
- :mod:`aigc.core.decoding.loop`: the rows' bookkeeping every cache layout shares (``RowBatch``),
  and the growing-cache loop (optimum's graphs) with left padding, per-row positions and masks,
  rows leaving the batch when they finish, and the context-length rule;
- :mod:`aigc.core.decoding.static`: the loop for graphs whose KV cache is a preallocated buffer
  updated in place (``GroupQueryAttention``; GGUF conversions);
- :mod:`aigc.core.decoding.text`: streaming text deltas and stop strings.

A generator plugin wires them to its tokenizer (see ``aigc.plugins.text_transformer``).
"""

from aigc.core.decoding.loop import (
    CausalLM,
    ContextLengthError,
    DecodeBatch,
    FinishReason,
    LanguageModel,
    RowBatch,
    RowResult,
)
from aigc.core.decoding.sampling import SamplingParams, select_tokens
from aigc.core.decoding.static import StaticCacheLM, StaticDecodeBatch
from aigc.core.decoding.text import TextStream

__all__ = [
    "CausalLM",
    "ContextLengthError",
    "DecodeBatch",
    "FinishReason",
    "LanguageModel",
    "RowBatch",
    "RowResult",
    "SamplingParams",
    "StaticCacheLM",
    "StaticDecodeBatch",
    "TextStream",
    "select_tokens",
]
