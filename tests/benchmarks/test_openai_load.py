"""The load generator of ``benchmarks/openai_load.py``, run as its own process against a live aigc server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aigc.core.http.settings import ServerSettings
from aigc.core.runtime import ModelRuntime
from tests.http.live_server import live_server

pytest.importorskip("openai", reason="the load generator is the openai package's async client")

CLIENT = Path(__file__).resolve().parents[2] / "benchmarks" / "openai_load_client.py"


@pytest.mark.usefixtures("smollm2_home")
def test_concurrent_streamed_chats_are_timed_from_usage(tmp_path: Path, runtime: ModelRuntime) -> None:
    settings = ServerSettings(rate_per_s=1000, burst=1000)
    with live_server(tmp_path / "aigc-data", runtime, settings) as server:
        command = [sys.executable, str(CLIENT), "--base-url", f"{server.url}/v1", "--model", "smollm2"]
        command += ["--api-key", server.keys["generate"], "--concurrency", "2", "--requests-per-client", "2"]
        done = subprocess.run(
            [*command, "--max-tokens", "16", "--warmup", "1"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert (result["concurrency"], result["requests"], result["failures"]) == (2, 4, 0)
    requests = result["per_request"]
    assert all(0 < r["tokens"] <= 16 and r["ttft_s"] > 0 and r["usage_reported"] for r in requests)
    assert result["output_tokens"] == sum(r["tokens"] for r in requests)
    assert result["tokens_per_s"] == pytest.approx(result["output_tokens"] / result["wall_s"])
    assert 0 < result["ttft_p50_ms"] <= result["ttft_p95_ms"] <= 1e3 * result["wall_s"]
