"""Options of the ``onnx-causal-lm`` generator: which registered model, and text-transformer's sampling."""

from __future__ import annotations

from pydantic import Field

from aigc.core.sdk import REFERENCE_PATTERN
from aigc.plugins.text_transformer.options import TextOptions

MAX_NEW_TOKENS = 4096  # the model's own context also ends generation (finish_reason "context")
MAX_TOP_K = 1_000_000


class CausalLMOptions(TextOptions):
    """A registered model (``aigc models add PATH --name N``) and how each next token is chosen."""

    model: str = Field(
        min_length=1,
        max_length=97,
        pattern=REFERENCE_PATTERN,
        description="name of a model registered with `aigc models add PATH --name NAME`, or "
        "NAME@VERSION for one of its versions (`aigc tune`); a plain NAME may be routed to a version "
        "(`aigc models route`)",
    )
    max_new_tokens: int = Field(
        64,
        ge=1,
        le=MAX_NEW_TOKENS,
        description="most tokens to generate; generation also stops at the model's context (finish_reason "
        "'context')",
    )
    min_new_tokens: int = Field(
        0,
        ge=0,
        le=MAX_NEW_TOKENS,
        description="end-of-text cannot end the text before this many tokens (stop strings still can)",
    )
    top_k: int = Field(
        40, ge=0, le=MAX_TOP_K, description="sample only among the k most likely tokens; 0 = no limit"
    )
