"""A/B routing: a share of the requests that name a model without a version go to one of its versions.

Shares are set per version (``aigc models route NAME@VERSION --share S``, kept in the database).
The choice is deterministic: a request with seed ``s`` for model ``m`` draws
``u = int(sha256(f"{m}:{s}")[:8 bytes]) / 2**64`` and goes to the first version, in version-name
order, whose running total of shares exceeds ``u``; past the total it stays on the model itself.
The same request (same seed) therefore always meets the same version, and the chosen
``NAME@VERSION`` replaces the ``model`` option, so it is what provenance and stored options show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def routing_draw(model: str, seed: int) -> float:
    """The request's position in ``[0, 1)``: a hash of the model name and the request seed."""
    digest = hashlib.sha256(f"{model}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def routed_version(model: str, seed: int, routes: Sequence[tuple[str, float]]) -> str | None:
    """The version of ``model`` that serves the request with ``seed``, or ``None`` for the model itself;
    ``routes`` are ``(version, share)`` pairs whose shares add up to at most 1."""
    draw, total = routing_draw(model, seed), 0.0
    for version, share in sorted(routes):
        total += share
        if draw < total:
            return version
    return None
