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
) -> str:
    """sha256 over everything that determines a sample's output.

    Two samples with the same key have byte-identical artifacts, which is what lets anyone check a
    file by generating it again.
    """
    identity = {
        "generator": generator,
        "version": version,
        "model_sha256": model_sha256,
        "options": options,
        "seed": seed,
        "prompt": prompt,
    }
    return _digest(identity)


def idempotency_key(
    *,
    job: str,
    generator: str,
    version: str,
    model_sha256: str | None,
    options: dict[str, Any],
    seed: int,
    prompt: str | None,
) -> str:
    """sha256 identifying one job item's result: job, generator@version, model, options, seed, input.

    Running the job again gives the same keys, which is how a re-run finds the items already done.
    """
    identity = {
        "job": job,
        "generator": f"{generator}@{version}",
        "model_sha256": model_sha256,
        "options": options,
        "seed": seed,
        "prompt": prompt,
    }
    return _digest(identity)


def _digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()
