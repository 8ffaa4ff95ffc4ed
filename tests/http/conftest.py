"""One live server per test module (starting one takes a moment), with batching on for image-gan."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from aigc.core.batching import BatchPolicy
from aigc.core.http.settings import ServerSettings
from aigc.core.runtime import ModelRuntime
from tests.http.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, runtime: ModelRuntime) -> Iterator[LiveServer]:
    settings = ServerSettings(
        rate_per_s=1000,
        burst=1000,
        default_wait_s=30,
        batching={"image-gan": BatchPolicy(max_batch_size=32, max_queue_delay_ms=20)},
    )
    with live_server(tmp_path_factory.mktemp("api") / "aigc-data", runtime, settings) as live:
        yield live


@pytest.fixture
def gallery_client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client logged in to the gallery with a read key: it holds the cookie and nothing else."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post(
            "/login",
            content=urlencode({"key": server.keys["read"]}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 303
        yield client
