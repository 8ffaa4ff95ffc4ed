"""Options of the ``text-transformer`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from aigc.core.sdk import Options

CONTEXT_LENGTH = 256  # the shipped model's context (config.json); prompt + output never exceed it
VOCAB_SIZE = 4096
MAX_STOP_STRINGS = 8
MAX_STOP_CHARS = 64

MAX_TOP_LOGPROBS = 20
StopString = Annotated[str, Field(min_length=1, max_length=MAX_STOP_CHARS)]


class TextOptions(Options):
    """How much text to generate and how each next token is chosen.

    Order per step: repetition penalty, presence and frequency penalties, then greedy (temperature
    0) or temperature, top-k, top-p and a draw from the sample's own seeded generator.
    """

    max_new_tokens: int = Field(
        64,
        ge=1,
        le=CONTEXT_LENGTH - 1,
        description=(
            f"most tokens to generate; generation also stops at the {CONTEXT_LENGTH}-token context "
            "(prompt + output; finish_reason 'context')"
        ),
    )
    min_new_tokens: int = Field(
        0,
        ge=0,
        le=CONTEXT_LENGTH - 1,
        description="end-of-text cannot end the text before this many tokens (stop strings still can)",
    )
    temperature: float = Field(
        0.8, ge=0.0, le=5.0, description="divides the logits; 0 means greedy (always the most likely token)"
    )
    top_k: int = Field(
        40, ge=0, le=VOCAB_SIZE, description="sample only among the k most likely tokens; 0 = no limit"
    )
    top_p: float = Field(
        0.95,
        gt=0.0,
        le=1.0,
        description="nucleus sampling: keep the most likely tokens whose probability reaches top_p (1 = all)",
    )
    repetition_penalty: float = Field(
        1.1,
        ge=1.0,
        le=3.0,
        description=(
            "CTRL penalty on tokens already in the prompt or output: positive logits divided by it, "
            "negative ones multiplied; 1 = off"
        ),
    )
    presence_penalty: float = Field(
        0.0,
        ge=-2.0,
        le=2.0,
        description="subtracted from the logit of each token generated so far (OpenAI's definition); 0 = off",
    )
    frequency_penalty: float = Field(
        0.0,
        ge=-2.0,
        le=2.0,
        description="times the number of times a token was generated, subtracted from its logit; 0 = off",
    )
    logprobs: int | None = Field(
        None,
        ge=0,
        le=MAX_TOP_LOGPROBS,
        description=(
            "record each output token's log-probability (under the model's raw logits) and this many "
            "most likely alternatives in the artifact's metadata; omit for none"
        ),
    )
    stop: list[StopString] = Field(
        [],  # pydantic copies mutable defaults; a literal shows as "default []" in `aigc plugins`
        max_length=MAX_STOP_STRINGS,
        description=(
            f"up to {MAX_STOP_STRINGS} strings (1-{MAX_STOP_CHARS} characters) that end the text; "
            "the text is cut before the first match"
        ),
    )
    prompt_overflow: Literal["error", "truncate_left"] = Field(
        "error",
        description=(
            "a prompt too long for the context: 'error' fails the request naming the limit; "
            "'truncate_left' drops its oldest tokens so that prompt + max_new_tokens fit"
        ),
    )

    def sample_cost(self) -> int:
        """One decoder step per new token, at most ``max_new_tokens``."""
        return self.max_new_tokens

    @model_validator(mode="after")
    def _min_within_max(self) -> TextOptions:
        if self.min_new_tokens > self.max_new_tokens:
            raise ValueError(
                f"min_new_tokens ({self.min_new_tokens}) must not exceed "
                f"max_new_tokens ({self.max_new_tokens})"
            )
        return self
