"""One live server per test module (starting one takes a moment), with batching on for image-gan."""

from __future__ import annotations

from collections.abc import Iterator

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
