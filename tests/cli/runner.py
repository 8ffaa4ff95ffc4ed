"""Running ``aigc`` as a user does: a real process against one data folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


class Aigc:
    """Runs ``aigc`` in a subprocess against one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.env = os.environ | {"AIGC_HOME": str(data_dir), "COLUMNS": "200"}
        self.env.pop("AIGC_LOAD_PLUGINS", None)

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "aigc.core.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == expect, (
            f"aigc {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """An ``aigc serve`` process and its base URL."""

    url: str
    process: subprocess.Popen[str]


@contextmanager
def serve(aigc: Aigc, *args: str) -> Iterator[Served]:
    """Run ``aigc serve ARGS`` on a free port until it answers ``/healthz``; terminate it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aigc.core.cli", "serve", "--port", str(port), *args],
        env=aigc.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.1)
        yield Served(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=60)
