"""HTTP throughput and latency of ``aigc serve`` with dynamic batching off and on, in one or
more worker processes.

    python benchmarks/http_batching.py [--generator image-gan] [--clients 1 8 32] [--seconds 10]
        [--workers 1 2]

One server per contender runs as a separate process (``aigc serve --no-batching`` and ``aigc
serve --batch GENERATOR=DELAY:MAX``, each with every ``--workers`` count), each on its own fresh
SQLite data folder; this process generates the load over loopback: ``C`` clients, each sending
one request after another (every request a new seed, the same options, so that requests may be
merged). For each client count the servers take turns, so background load on a shared machine
hits them alike. Latency is measured by the client (request sent to full response, storage
included); throughput is completed requests per second; the mean batch size comes from the
servers' own ``/metrics`` (every worker's).

Prints a Markdown table with the ratios: throughput over batching off in one worker at the same
client count, and p95 latency / single-request latency (p50 at the fewest clients, batching off,
one worker).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.progress import Progress
from servers import AIGC, free_port, generate_key, stop, wait_until_ready

WARMUP_REQUESTS = 5


@dataclass
class Server:
    """One ``aigc serve`` process."""

    mode: str
    workers: int
    url: str
    token: str
    process: subprocess.Popen[bytes]


@dataclass
class Run:
    """One load level against one server."""

    mode: str
    workers: int
    clients: int
    throughput: float
    p50_ms: float
    p95_ms: float
    mean_batch: float


def start_server(mode: str, batch_args: list[str], workers: int, home: Path) -> Server:
    """A server on a fresh data folder, with a generate key made by ``aigc api-keys create``."""
    env = os.environ | {"AIGC_HOME": str(home)}
    token = generate_key(env, "bench")
    port = free_port()
    command = [
        *AIGC, "serve", "--port", str(port), "--rate", "100000", "--burst", "100000",
        "--workers", str(workers), *batch_args,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(f"aigc serve ({mode}, {workers} workers)", process, f"{url}/healthz")
    return Server(mode, workers, url, token, process)


def batch_totals(server: Server, generator: str) -> tuple[float, float]:
    """The (sum, count) of merged-call sizes for ``generator`` so far, over every worker: each
    answers ``/metrics`` with its own, so ask on new connections until each worker has answered."""
    by_worker: dict[str, tuple[float, float]] = {}
    for _ in range(100 * server.workers):
        response = httpx.get(f"{server.url}/metrics")
        by_worker[response.headers["x-aigc-worker"]] = worker_batch_totals(response.text, generator)
        if len(by_worker) == server.workers:
            break
    return sum(s for s, _ in by_worker.values()), sum(c for _, c in by_worker.values())


def worker_batch_totals(metrics: str, generator: str) -> tuple[float, float]:
    """One worker's (sum, count) of merged-call sizes in its ``/metrics`` text."""
    values = []
    for suffix in ("sum", "count"):
        match = re.search(
            rf'^aigc_batch_size_{suffix}{{generator="{generator}"}} (\S+)$', metrics, re.MULTILINE
        )
        values.append(float(match.group(1)) if match else 0.0)
    return values[0], values[1]


async def load(
    server: Server, generator: str, options: dict[str, object], clients: int, seconds: float
) -> list[float]:
    """Latencies (s) of the requests ``clients`` concurrent clients complete within ``seconds``."""
    headers = {"Authorization": f"Bearer {server.token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    seeds = iter(range(10**9))
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=300) as http:

        async def request() -> float:
            started = time.perf_counter()
            body = {"generator": generator, "options": options, "seed": next(seeds)}
            response = await http.post("/v1/generations", json=body)
            response.raise_for_status()
            return time.perf_counter() - started

        await asyncio.gather(*(request() for _ in range(WARMUP_REQUESTS)))
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                latencies.append(await request())

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        latencies.append(-(time.perf_counter() - started))  # the wall time, marked negative
    return latencies


def measure(server: Server, generator: str, options: dict[str, object], clients: int, seconds: float) -> Run:
    """One load level: throughput, p50/p95 latency and the mean merged-call size."""
    before = batch_totals(server, generator)
    timed = asyncio.run(load(server, generator, options, clients, seconds))
    wall, latencies = -timed[-1], sorted(timed[:-1])
    after = batch_totals(server, generator)
    calls = after[1] - before[1]
    return Run(
        mode=server.mode,
        workers=server.workers,
        clients=clients,
        throughput=len(latencies) / wall,
        p50_ms=statistics.median(latencies) * 1000,
        p95_ms=latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] * 1000,
        mean_batch=(after[0] - before[0]) / calls if calls else 1.0,
    )


def table(runs: list[Run]) -> str:
    """The Markdown table, with the ratios to batching off in the fewest workers and to the
    single-request latency."""
    fewest = min(r.workers for r in runs)
    baseline = [r for r in runs if r.mode == "off" and r.workers == fewest]
    single = next(r.p50_ms for r in baseline if r.clients == min(x.clients for x in runs))
    off = {r.clients: r.throughput for r in baseline}
    lines = [
        "| batching | workers | clients | requests/s | p50 ms | p95 ms | mean batch "
        f"| vs off, {fewest} worker | p95 / single |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(runs, key=lambda r: (r.clients, r.workers, r.mode)):
        lines.append(
            f"| {r.mode} | {r.workers} | {r.clients} | {r.throughput:.1f} | {r.p50_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.mean_batch:.1f} | {r.throughput / off[r.clients]:.2f}x | "
            f"{r.p95_ms / single:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generator", default="image-gan")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per level and server")
    parser.add_argument("--delay-ms", type=float, default=5.0, help="max queue delay with batching on")
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="server processes (aigc serve --workers)"
    )
    args = parser.parse_args()
    options: dict[str, object] = {"label": 3} if args.generator in ("image-gan", "image-vae") else {}
    modes = {
        "off": ["--no-batching"],
        "on": ["--batch", f"{args.generator}={args.delay_ms:g}:{args.max_batch}"],
    }
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        servers = [
            start_server(mode, flags, workers, Path(tmp) / f"{mode}-{workers}")
            for workers in args.workers
            for mode, flags in modes.items()
        ]
        try:
            with Progress() as progress:
                task = progress.add_task("load levels", total=len(args.clients) * len(servers))
                for clients in args.clients:
                    for server in servers:
                        runs.append(measure(server, args.generator, options, clients, args.seconds))
                        progress.advance(task)
        finally:
            for server in servers:
                stop(server.process)
    print(
        f"\n{args.generator} over HTTP, {platform.machine()}, {os.cpu_count()} cores; "
        f"batching on: max queue delay {args.delay_ms:g} ms, max batch {args.max_batch}; "
        f"{args.seconds:g} s per level\n"
    )
    print(table(runs))


if __name__ == "__main__":
    main()
