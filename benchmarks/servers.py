"""Server processes the benchmark scripts start, load and stop (imported by name: the scripts' folder is
on sys.path)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

AIGC = [sys.executable, "-m", "aigc.core.cli"]


def generate_key(env: dict[str, str], name: str) -> str:
    """A new ``generate`` API key of the aigc data folder that ``env`` names (``aigc api-keys create``)."""
    return subprocess.run(
        [*AIGC, "api-keys", "create", "--scope", "generate", "--name", name],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(
    name: str,
    process: subprocess.Popen[bytes],
    url: str,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60.0,
    log: Path | None = None,
) -> None:
    """Poll ``url`` until it answers 200; RuntimeError (with the end of ``log``) if ``process`` exits
    first or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}{_log_tail(log)}")
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer {url} within {timeout_s:g} s{_log_tail(log)}")


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Terminate ``process`` and wait for it; kill it if it outlives ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_tail(log: Path | None) -> str:
    if log is None or not log.is_file():
        return ""
    return f"; end of {log}:\n{log.read_text(errors='replace')[-2000:]}"
