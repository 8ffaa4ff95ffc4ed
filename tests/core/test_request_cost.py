"""A request's cost in work units: samples (n x best_of) times what one sample takes by its options."""

from __future__ import annotations

from typing import Any

import pytest

from aigc.core.engine import Engine


@pytest.mark.parametrize(
    ("request_data", "cost"),
    [
        ({"generator": "image-gan", "n": 8}, 8),
        ({"generator": "image-diffusion", "n": 2, "options": {"steps": 40}}, 80),
        ({"generator": "image-vae", "n": 3}, 3),
        ({"generator": "image-vae", "options": {"mode": "interpolate", "steps": 12}}, 12),
        ({"generator": "text-transformer", "prompt": "a", "best_of": 4}, 4 * 64),
        ({"generator": "text-transformer", "prompt": "a", "options": {"max_new_tokens": 10}}, 10),
        ({"generator": "music-transformer", "n": 2, "best_of": 2, "options": {"bars": 4}}, 4 * 4 * 32),
    ],
)
def test_cost_is_samples_times_the_options_sample_cost(
    engine: Engine, request_data: dict[str, Any], cost: int
) -> None:
    assert engine.prepare(request_data).cost == cost
