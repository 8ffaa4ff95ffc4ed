"""Any JSON body sent to the generation endpoint gets a 2xx, or a 4xx that names a field; never a 5xx.

Bodies are drawn by hypothesis: arbitrary JSON, and requests built from the schema's own keys with
arbitrary values (NaN, Infinity, lone surrogates and NUL included), on SQLite and PostgreSQL. The
server's work cap is tiny, so requests that pass validation stay cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc.core.http.settings import ServerSettings
from aigc.core.runtime import ModelRuntime
from tests.http.live_server import LiveServer, live_server

GENERATORS = ("image-gan", "image-vae", "image-diffusion", "text-transformer", "music-transformer")
CHEAP_EVALUATORS = ("image-class-match", "text-repetition", "text-diversity", "music-metrics")
OPTION_NAMES = (
    "label",
    "truncation",
    "scale",
    "steps",
    "mode",
    "max_new_tokens",
    "temperature",
    "bars",
    "key",
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)  # lone surrogates and NUL included
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
small = st.integers(min_value=-2, max_value=5)
requests = st.fixed_dictionaries(
    {"generator": st.sampled_from(GENERATORS) | json_values},
    optional={
        "prompt": st.text(max_size=30) | json_values,
        "options": st.dictionaries(st.sampled_from(OPTION_NAMES), small | json_values, max_size=3)
        | json_values,
        "n": small | json_values,
        "best_of": small | json_values,
        "seed": small | json_values,
        "evaluators": st.lists(st.sampled_from(CHEAP_EVALUATORS) | json_values, max_size=2),
        "policy": st.fixed_dictionaries(
            {},
            optional={
                "thresholds": st.dictionaries(
                    st.sampled_from(("class_match", "repetition")),
                    st.dictionaries(st.sampled_from(("min", "max", "on")), scalars, max_size=2),
                    max_size=1,
                ),
                "min_score": scalars,
                "weights": st.dictionaries(st.text(max_size=8), scalars, max_size=2),
            },
        )
        | json_values,
        "metadata": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | json_values, max_size=2),
        "colour": json_values,
    },
)
bodies = requests | json_values


@pytest.fixture
def server(tmp_path: Path, runtime: ModelRuntime, database_url: str) -> Iterator[LiveServer]:
    settings = ServerSettings(max_request_cost=64, cost_burst=1_000_000, cost_per_s=1_000_000, rate_per_s=1e5)
    with live_server(tmp_path / "aigc-data", runtime, settings, database_url) as live:
        yield live


def _check(response: httpx.Response, body: Any) -> None:
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        error = response.json()
        assert error["detail"], body
    if response.status_code == 422:
        fields = [e["field"] for e in response.json()["errors"]]
        assert fields and all(isinstance(f, str) and f for f in fields), (body, response.text)
    else:
        assert response.status_code in (200, 202), (body, response.text)


def test_any_json_body_gets_2xx_or_a_4xx_naming_a_field(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=60) as client:

        @given(body=bodies)
        @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers(body: Any) -> None:
            content = json.dumps(body, allow_nan=True)  # NaN and Infinity as Python's json sends them
            response = client.post(
                "/v1/generations",
                params={"wait": 0},
                content=content,
                headers={"Content-Type": "application/json"},
            )
            _check(response, body)

        answers()
