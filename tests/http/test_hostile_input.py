"""Input no client should send: values JSON cannot carry back (NaN, Infinity, lone surrogates).

Each gets a 422 naming the field, with its value rendered as text, and nothing is stored.
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
        ('{"generator": "text-transformer", "prompt": "a\\udc80b"}', "prompt", "'a\\udc80b'"),
        ('{"generator": "image-gan", "metadata": {"k\\udc80": "v"}}', "metadata", "'k\\udc80'"),
    ],
)
def test_values_json_cannot_carry_get_422_naming_the_field(
    client: httpx.Client, server: LiveServer, body: str, field: str, value: str
) -> None:
    before = server.engine.store.count_generations()
    response = _post_raw(client, body)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"].startswith(field) and str(error["value"]) == value
    assert server.engine.store.count_generations() == before
