"""Input no client should send: non-finite numbers, text that no database stores alike, loose types.

Each gets a 422 naming the field, with its value rendered as text when JSON cannot carry it, and
nothing is stored.
"""

from __future__ import annotations

import httpx
import pytest

from tests.http.live_server import LiveServer


@pytest.fixture
def client(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=60) as client:
        yield client


def _post_raw(client: httpx.Client, body: str) -> httpx.Response:
    return client.post("/v1/generations", content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ('{"generator": "image-gan", "options": {"label": NaN}}', "options.label", "nan"),
        (
            '{"generator": "image-diffusion", "options": {"guidance_scale": Infinity}}',
            "options.guidance_scale",
            "inf",
        ),
        (
            '{"generator": "image-gan", "policy": {"thresholds": {"class_match": {"min": -Infinity}}}}',
            "policy.thresholds.class_match.min",
            "-inf",
        ),
        ('{"generator": "image-gan", "policy": {"min_score": NaN}}', "policy.min_score", "nan"),
        (
            '{"generator": "image-gan", "policy": {"weights": {"class_match": Infinity}}}',
            "policy.weights.class_match",
            "inf",
        ),
        ('{"generator": "text-transformer", "prompt": "a\\udc80b"}', "prompt", "'a\\udc80b'"),
        ('{"generator": "text-transformer", "prompt": "a\\u0000b"}', "prompt", "a\x00b"),
        ('{"generator": "image-gan", "metadata": {"k\\udc80": "v"}}', "metadata", "'k\\udc80'"),
    ],
)
def test_values_no_database_stores_alike_get_422_naming_the_field(
    client: httpx.Client, server: LiveServer, body: str, field: str, value: str
) -> None:
    before = server.engine.store.count_generations()
    response = _post_raw(client, body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"].startswith(field) and str(error["value"]) == value
    assert server.engine.store.count_generations() == before


def test_numbers_sent_as_strings_are_refused(client: httpx.Client) -> None:
    for field in ("seed", "n", "best_of"):
        response = client.post("/v1/generations", json={"generator": "image-gan", field: "1"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    assert client.post("/v1/generations", json={"generator": "image-gan", "seed": 1.0}).status_code == 422


@pytest.mark.parametrize(
    ("body", "cost"),
    [
        ({"generator": "music-transformer", "n": 16, "best_of": 16, "options": {"bars": 8}}, 65_536),
        ({"generator": "image-diffusion", "n": 16, "best_of": 16, "options": {"steps": 250}}, 64_000),
    ],
)
def test_a_request_over_the_work_cap_is_refused_before_any_work(
    client: httpx.Client, server: LiveServer, body: dict, cost: int
) -> None:
    before = server.engine.store.count_generations()
    response = client.post("/v1/generations", json=body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "n" and f"costs {cost} work units" in error["message"]
    assert "at most 16384 per request" in error["message"]
    assert server.engine.store.count_generations() == before
