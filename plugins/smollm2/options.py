"""Options of the ``smollm2`` chat generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aigc.plugins.text_transformer.options import TextOptions

CONTEXT_LENGTH = 8192  # SmolLM2's context: prompt + answer never exceed it
VOCAB_SIZE = 49152
MAX_NEW_TOKENS = 4096


class ChatOptions(TextOptions):
    """Which installed variant answers, and how each next token is chosen."""

    variant: Literal["quantized", "fp32"] = Field(
        "quantized",
        description="the installed conversion to run: 'quantized' (4-bit blocks as in the GGUF, fast) or "
        "'fp32' (dequantized weights, for checks; `aigc models install smollm2 --variant fp32`)",
    )
    template: Literal["chat", "none"] = Field(
        "chat",
        description="'chat': a prompt is the user's message, answered in the model's chat format; "
        "'none': the prompt is continued as plain text",
    )
    max_new_tokens: int = Field(
        256,
        ge=1,
        le=MAX_NEW_TOKENS,
        description=f"most tokens to generate; the {CONTEXT_LENGTH}-token context also ends generation",
    )
    min_new_tokens: int = Field(
        0,
        ge=0,
        le=MAX_NEW_TOKENS,
        description="end of turn cannot end the answer before this many tokens (stop strings still can)",
    )
    temperature: float = Field(
        0.4, ge=0.0, le=5.0, description="divides the logits; 0 means greedy (always the most likely token)"
    )
    top_k: int = Field(
        50, ge=0, le=VOCAB_SIZE, description="sample only among the k most likely tokens; 0 = no limit"
    )
    top_p: float = Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="nucleus sampling: keep the most likely tokens whose probability reaches top_p (1 = all)",
    )
