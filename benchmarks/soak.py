"""Soak: `aigc serve` at saturation with a mix of generators and 5% bad requests, then SIGTERM
while the load goes on, a restart, and a count of what was acknowledged against what is stored.

    python benchmarks/soak.py [--seconds 60] [--concurrency 16]

A fresh data folder (SQLite) and one API key; the key's request and work-unit limits are raised so
the server, not the limiter, is the bottleneck. Clients post without pause; long requests get 202
(`--wait 2`). After ``--seconds`` the server gets SIGTERM while the clients keep posting: it must
store every request it answered 200 or 202 before it exits. It is then started again on the same
data, the clients stop, and every request row is counted. `aigc serve` runs one process (it has
no worker-process option): the table says so.

Prints a Markdown table: requests, answers by status, transport errors (refused while the server
was down), latency percentiles of answered requests, and acknowledged versus stored requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

GOOD = (
    {"generator": "image-gan", "n": 4},
    {"generator": "image-vae", "n": 2},
    {"generator": "image-diffusion", "options": {"steps": 10}},
    {"generator": "text-transformer", "prompt": "In the beginning", "options": {"max_new_tokens": 32}},
    {"generator": "music-transformer", "options": {"bars": 2}},
)
BAD = (
    {"generator": "image-gan", "options": {"label": 12}},
    {"generator": "no-such-generator"},
    {"generator": "image-gan", "seed": "1"},
    {"generator": "text-transformer", "prompt": "a\x00b"},
    {"generator": "image-gan", "colour": "red"},
    {"generator": "music-transformer", "n": 16, "best_of": 16, "options": {"bars": 8}},  # over the work cap
)
BAD_SHARE = 0.05


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def aigc(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aigc.core.cli", *args], env=env, capture_output=True, text=True
    )
    done.check_returncode()
    return done.stdout


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    limits = ["--rate", "100000", "--burst", "100000", "--cost-rate", "10000000", "--cost-burst", "100000000"]
    process = subprocess.Popen(
        [sys.executable, "-m", "aigc.core.cli", "serve", "--port", str(port), "--wait", "2", *limits],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("aigc serve did not start")


class Load:
    """Clients posting without pause until ``stop`` is set; every answer is recorded."""

    def __init__(self, url: str, token: str, concurrency: int, seed: int) -> None:
        self.url, self.token, self.concurrency = url, token, concurrency
        self.random = random.Random(seed)
        self.stop = asyncio.Event()
        self.statuses: Counter[str] = Counter()
        self.latencies_ms: list[float] = []
        self.acknowledged = 0

    async def client(self, http: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            chosen = self.random.choice(BAD if self.random.random() < BAD_SHARE else GOOD)
            body: dict[str, Any] = {"seed": self.random.randrange(2**31)} | chosen
            started = time.perf_counter()
            try:
                response = await http.post("/v1/generations", json=body)
            except httpx.TransportError as error:
                self.statuses[type(error).__name__] += 1
                await asyncio.sleep(0.2)  # the server is restarting
                continue
            self.statuses[str(response.status_code)] += 1
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code in (200, 202):
                self.acknowledged += 1

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=120, limits=limits) as http:
            await asyncio.gather(*(self.client(http) for _ in range(self.concurrency)))


def stored_requests(data_dir: Path) -> int:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from aigc.storage.models import RequestRow
    from aigc.storage.store import Store

    with Store.open(data_dir) as store, Session(store.engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(RequestRow)) or 0)


async def soak(seconds: float, concurrency: int, data_dir: Path) -> dict[str, Any]:
    env = os.environ | {"AIGC_HOME": str(data_dir)}
    env.pop("AIGC_LOAD_PLUGINS", None)
    token = aigc(env, "api-keys", "create", "--scope", "generate", "--name", "soak").strip()
    port = free_port()
    server = start_server(env, port)
    load = Load(f"http://127.0.0.1:{port}", token, concurrency, seed=1)
    clients = asyncio.create_task(load.run())
    await asyncio.sleep(seconds)
    stop_started = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    await asyncio.to_thread(server.wait)
    drain_s = time.perf_counter() - stop_started
    restarted = await asyncio.to_thread(start_server, env, port)
    await asyncio.sleep(2)  # the restarted server answers the same clients
    load.stop.set()
    await clients
    restarted.send_signal(signal.SIGTERM)
    await asyncio.to_thread(restarted.wait)
    return {"load": load, "drain_s": drain_s, "stored": stored_requests(data_dir)}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load before SIGTERM")
    parser.add_argument("--concurrency", type=int, default=16, help="clients posting at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigc-soak-") as folder:
        outcome = asyncio.run(soak(args.seconds, args.concurrency, Path(folder) / "aigc-data"))
    load: Load = outcome["load"]
    answered = sum(n for status, n in load.statuses.items() if status.isdigit())
    print(f"aigc serve, one process (no worker-process option), SQLite, {args.concurrency} clients, "
          f"{args.seconds:g} s, then SIGTERM under load and a restart\n")  # fmt: skip
    print("| measure | value |\n|---|---|")
    print(f"| requests sent | {sum(load.statuses.values())} |")
    for status, count in sorted(load.statuses.items()):
        print(f"| {'answered ' + status if status.isdigit() else 'transport error: ' + status} | {count} |")
    for q in (50, 95, 99):
        print(f"| p{q} latency of {answered} answers | {percentile(load.latencies_ms, q):.0f} ms |")
    print(f"| shutdown (SIGTERM to exit) | {outcome['drain_s']:.1f} s |")
    print(f"| acknowledged (200 + 202) | {load.acknowledged} |")
    print(f"| stored requests | {outcome['stored']} |")
    verdict = "equal" if load.acknowledged == outcome["stored"] else "DIFFERENT"
    print(f"\nacknowledged vs stored: {verdict}")


if __name__ == "__main__":
    main()
