"""``POST /v1/embeddings``: texts embedded by an evaluator that embeds (``text-relevance``'s
all-MiniLM-L6-v2). Embeddings are computed, not stored: they are not generated content."""

from __future__ import annotations

import asyncio
import base64
from functools import partial
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request

from aigc.core.http.auth import require
from aigc.core.http.openai.running import ModelNotFound
from aigc.core.http.openai.schemas import ERROR_RESPONSES, EmbeddingRequest
from aigc.core.validation import invalid
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
Generate = Annotated[ApiKey, Depends(require("generate"))]
MAX_INPUTS = 2048  # OpenAI's limit
MAX_INPUT_CHARS = 50_000


def _encoded(vector: np.ndarray, encoding: str) -> list[float] | str:
    """A vector as floats, or as base64 of its little-endian float32 bytes (what OpenAI sends)."""
    if encoding == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    return [float(x) for x in vector]


@router.post("/embeddings")
async def embeddings(request: Request, body: EmbeddingRequest, key: Generate) -> dict[str, Any]:
    """One unit-length embedding per input text, with the tokens read as usage."""
    engine = request.app.state.engine
    spec = engine.registry.evaluators.get(body.model)
    if spec is None or not spec.embeds:
        embedders = ", ".join(sorted(s.name for s in engine.registry.evaluators.values() if s.embeds))
        raise ModelNotFound(
            f"The model '{body.model}' does not exist or does not embed; those that do: {embedders}"
        )
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not 1 <= len(texts) <= MAX_INPUTS:
        raise invalid("input", len(texts), f"give 1 to {MAX_INPUTS} texts")
    for index, text in enumerate(texts):
        if not text or len(text) > MAX_INPUT_CHARS:
            raise invalid(
                f"input.{index}", len(text), f"each text must have 1 to {MAX_INPUT_CHARS} characters"
            )
    future = request.app.state.in_flight.submit(partial(engine.embed, body.model, texts))
    result = await asyncio.wrap_future(future)
    vectors = np.asarray(result.vectors, dtype=np.float32)
    if body.dimensions is not None and body.dimensions != vectors.shape[1]:
        raise invalid(
            "dimensions", body.dimensions, f"model '{body.model}' embeds in {vectors.shape[1]} dimensions"
        )
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": _encoded(v, body.encoding_format)}
            for i, v in enumerate(vectors)
        ],
        "model": body.model,
        "usage": {"prompt_tokens": result.tokens, "total_tokens": result.tokens},
    }
