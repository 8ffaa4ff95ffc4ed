"""Deterministic generation keys: the same inputs always give the same key."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values serialise identically."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def generation_key(
    *,
    generator: str,
    version: str,
    model_sha256: str | None,
    options: dict[str, Any],
    seed: int,
    prompt: str | None,
    messages: list[dict[str, str]] | None = None,
) -> str:
    """sha256 over everything that determines a sample's output (``messages``: a chat request's
    conversation; absent from the identity when there is none, so prompt keys stay as they were).

    Two samples with the same key have byte-identical artifacts, which is what lets anyone check a
    file by generating it again.
    """
    identity: dict[str, Any] = {
        "generator": generator,
        "version": version,
        "model_sha256": model_sha256,
        "options": options,
        "seed": seed,
        "prompt": prompt,
    }
    if messages is not None:
        identity["messages"] = messages
    return _digest(identity)


def idempotency_key(job: str, sample_key: str) -> str:
    """sha256 naming one job item's result: the job, and the sample's generation key (which covers
    generator@version, model sha256, canonical options, seed and input).

    Running the job again gives the same keys, which is how a re-run finds the items already done.
    """
    return _digest({"job": job, "sample": sample_key})


def _digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()
