"""``aigc serve`` stopped by SIGTERM under load: every request it acknowledged is stored first, in
one process or in several workers."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from aigc.core.config import Settings
from aigc.storage.store import Store
from tests.cli.runner import Aigc, serve

REQUESTS = 24


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stores_every_acknowledged_request_before_exiting(tmp_path: Path, workers: str) -> None:
    aigc = Aigc(tmp_path / "aigc-data")
    token = aigc.run("api-keys", "create", "--scope", "generate").stdout.strip()
    body = {"generator": "image-diffusion", "options": {"label": 4, "steps": 100}, "n": 2}
    flags = ("--wait", "0", "--no-batching", "--grace-period", "120", "--workers", workers)
    with serve(aigc, *flags) as server:

        def post(seed: int) -> int:
            response = httpx.post(
                f"{server.url}/v1/generations",
                json=body | {"seed": 2 * seed},  # samples take seeds 2i and 2i+1
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            return response.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, range(REQUESTS)))
        assert statuses == [202] * REQUESTS
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=180)
    settings = Settings(data_dir=tmp_path / "aigc-data")
    with Store.open(settings.data_dir, settings.database_url) as store:
        assert store.count_generations() == 2 * REQUESTS
        assert {g.seed for g in store.list_generations(limit=100)} == set(range(2 * REQUESTS))
