"""OpenAI-compatible chat serving under load (SmolLM2-135M-Instruct): ``aigc serve`` versus
llama-cpp-python's server, through the official ``openai`` client.

    bash benchmarks/peers/setup.sh       # once: llama.cpp's server and the GGUF under build/peers/
    .venv/bin/python benchmarks/openai_load.py [--servers aigc,aigc-alone,llama-cpp] [--concurrency 1,8,32]
        [--requests-per-client 4] [--threads 2] [--aigc-home DIR] [--json OUT.json] [--quick]

Each server runs in its own process on a free 127.0.0.1 port, with the same thread count and an
8192-token context:

- ``aigc serve`` with ``AIGC_HOME=--aigc-home`` (where ``aigc models install smollm2`` put the model;
  the default, ``build/openai_load/aigc-home``, is installed into when it lacks the model),
  ``AIGC_THREADS=--threads``, a throwaway database and blob folder, and rate limits out of the way;
  it answers with the ``quantized`` variant (the GGUF's Q4_1 blocks), every request of a level in
  one shared decode batch (continuous batching);
- ``aigc-alone``: the same server with ``AIGC_DECODE_BATCH_ROWS=0``: each request decodes alone;
- ``python -m llama_cpp.server`` from ``build/peers/llama-cpp`` on the Q4_1 GGUF with ``--n_ctx 8192
  --n_threads T --n_threads_batch T --n_batch 512 --interrupt_requests False`` (by default a new
  request interrupts the one streaming). It has one model context and no parallel slots: requests
  wait on a lock and run one after the other. Its requests carry ``repeat_penalty: 1.0``: its
  default, 1.1, is not OpenAI's and would make its greedy answers differ from aigc's.

The load comes from a separate process, ``openai_load_client.py`` (its docstring defines every
figure), once per server and concurrency; the servers take turns at each concurrency, so background
load on a shared machine hits them alike. Prints a table (Markdown) whose last column is aggregate
tokens/s over llama.cpp's at the same concurrency.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from servers import AIGC, free_port, generate_key, stop, wait_until_ready

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO / "build" / "peers"
GGUF = PEERS / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_PYTHON = PEERS / "llama-cpp" / "bin" / "python"
CLIENT = Path(__file__).resolve().parent / "openai_load_client.py"
DEFAULT_AIGC_HOME = REPO / "build" / "openai_load" / "aigc-home"
MODEL = "smollm2"
CONTEXT = 8192  # SmolLM2's context, aigc's for this model
N_BATCH = 512
SERVERS = ("aigc", "aigc-alone", "llama-cpp")
QUICK = {"concurrency": [1, 2], "requests_per_client": 1, "max_tokens": 32, "warmup": 1}
UNLIMITED = "100000"  # the highest rate and burst aigc serve accepts


@dataclass
class Endpoint:
    """A running server: where the client finds it, with which key and model name."""

    name: str
    base_url: str
    api_key: str
    extra_body: dict[str, object] = field(default_factory=dict)


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def ensure_smollm2(home: Path) -> None:
    """Install SmolLM2's quantized variant into ``home`` unless it is there."""
    if (home / "models" / MODEL / "quantized").is_dir():
        return
    print(f"installing {MODEL} into {home}", file=sys.stderr)
    env = os.environ | {"AIGC_HOME": str(home)}
    subprocess.run([*AIGC, "models", "install", MODEL], env=env, check=True)


@contextmanager
def aigc_server(home: Path, work: Path, threads: int, continuous: bool = True) -> Iterator[Endpoint]:
    """``aigc serve`` with its models in ``home`` and its database and blobs in ``work``; without
    ``continuous``, each request decodes alone (``AIGC_DECODE_BATCH_ROWS=0``)."""
    name = "aigc" if continuous else "aigc-alone"
    work = work / name
    work.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "AIGC_HOME": str(home),
        "AIGC_DATABASE_URL": f"sqlite:///{work / 'aigc.db'}",
        "AIGC_BLOB_URL": str(work / "blobs"),
        "AIGC_THREADS": str(threads),
        "AIGC_DECODE_BATCH_ROWS": "32" if continuous else "0",
    }
    key = generate_key(env, "openai-load")
    port = free_port()
    limits = ["--rate", UNLIMITED, "--burst", UNLIMITED, "--cost-rate", UNLIMITED, "--cost-burst", UNLIMITED]
    log = work / "aigc-serve.log"
    with log.open("wb") as output:
        command = [*AIGC, "serve", "--port", str(port), *limits]
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_ready("aigc serve", process, f"{_url(port)}/healthz", log=log)
        yield Endpoint(name, f"{_url(port)}/v1", key)
    finally:
        stop(process)


@contextmanager
def llama_cpp_server(gguf: Path, work: Path, threads: int) -> Iterator[Endpoint]:
    """llama-cpp-python's OpenAI-compatible server on ``gguf`` (flags: the module docstring)."""
    if not LLAMA_PYTHON.exists():
        raise SystemExit(f"{LLAMA_PYTHON} is missing: run bash benchmarks/peers/setup.sh")
    if not gguf.is_file():
        raise SystemExit(f"--gguf {gguf}: no such file (bash benchmarks/peers/setup.sh puts it there)")
    port = free_port()
    flags = {
        "--model": str(gguf),
        "--model_alias": MODEL,
        "--host": "127.0.0.1",
        "--port": str(port),
        "--n_ctx": str(CONTEXT),
        "--n_threads": str(threads),
        "--n_threads_batch": str(threads),
        "--n_batch": str(N_BATCH),
        "--interrupt_requests": "False",
        "--verbose": "False",
    }
    log = work / "llama-cpp-server.log"
    with log.open("wb") as output:
        command = [str(LLAMA_PYTHON), "-m", "llama_cpp.server", *(x for pair in flags.items() for x in pair)]
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=work)
    try:
        wait_until_ready("llama_cpp.server", process, f"{_url(port)}/v1/models", timeout_s=120, log=log)
        yield Endpoint("llama-cpp", f"{_url(port)}/v1", "unused", {"repeat_penalty": 1.0})
    finally:
        stop(process)


def load(endpoint: Endpoint, concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    """One load level, measured by the client process."""
    command = [sys.executable, str(CLIENT), "--base-url", endpoint.base_url, "--api-key", endpoint.api_key]
    command += ["--model", MODEL, "--concurrency", str(concurrency)]
    command += ["--requests-per-client", str(args.requests_per_client), "--max-tokens", str(args.max_tokens)]
    command += ["--warmup", str(args.warmup), "--extra-body", json.dumps(endpoint.extra_body)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed against {endpoint.name}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"server": endpoint.name, **result}


def table(runs: list[dict[str, Any]], title: str) -> Table:
    """Rows: server x concurrency; the last columns compare aggregate tokens/s with llama.cpp's and
    with aigc's own without continuous batching."""
    grid = Table(title=title, box=box.MARKDOWN)
    for header in ("server", "clients", "requests (failed)", "output tok/s"):
        grid.add_column(header, justify="left" if header == "server" else "right")
    for header in ("TTFT p50 ms", "TTFT p95 ms", "TPOT p50 ms", "TPOT p95 ms", "vs llama.cpp", "vs alone"):
        grid.add_column(header, justify="right")
    for r in sorted(runs, key=lambda r: (r["server"], r["concurrency"])):
        grid.add_row(
            r["server"],
            str(r["concurrency"]),
            f"{r['requests']} ({r['failures']})",
            f"{r['tokens_per_s']:,.1f}",
            *(f"{r[k]:,.0f}" for k in ("ttft_p50_ms", "ttft_p95_ms", "tpot_p50_ms", "tpot_p95_ms")),
            _ratio(runs, r, "llama-cpp"),
            _ratio(runs, r, "aigc-alone"),
        )
    return grid


def _ratio(runs: list[dict[str, Any]], run: dict[str, Any], server: str) -> str:
    """``run``'s aggregate tokens/s over ``server``'s at the same concurrency ("" when not run)."""
    base = [
        r["tokens_per_s"] for r in runs if r["server"] == server and r["concurrency"] == run["concurrency"]
    ]
    return f"{run['tokens_per_s'] / base[0]:.2f}x" if base and base[0] else ""


def _counts(text: str) -> list[int]:
    values = [int(x) for x in text.split(",") if x.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, not {text!r}")
    return values


def _server_names(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = sorted(set(names) - set(SERVERS))
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown server(s) {unknown or text!r}; known: {','.join(SERVERS)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=_server_names, default=list(SERVERS), help="comma-separated")
    parser.add_argument("--concurrency", type=_counts, default=[1, 8, 32], help="client counts, e.g. 1,8,32")
    parser.add_argument("--requests-per-client", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests before each level")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of each server")
    parser.add_argument("--aigc-home", type=Path, default=DEFAULT_AIGC_HOME, help="AIGC_HOME with smollm2")
    parser.add_argument("--gguf", type=Path, default=GGUF, help="llama.cpp's model")
    parser.add_argument("--json", type=Path, default=None, help="write the settings and results here")
    parser.add_argument("--quick", action="store_true", help=f"a tiny run for a smoke test: {QUICK}")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    if args.requests_per_client < 1 or args.max_tokens < 1 or args.threads < 1:
        parser.error("--requests-per-client, --max-tokens and --threads must be at least 1")
    if {"aigc", "aigc-alone"} & set(args.servers):
        ensure_smollm2(args.aigc_home)
    runs: list[dict[str, Any]] = []
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        starters = {
            "aigc": lambda: aigc_server(args.aigc_home, Path(tmp), args.threads),
            "aigc-alone": lambda: aigc_server(args.aigc_home, Path(tmp), args.threads, continuous=False),
            "llama-cpp": lambda: llama_cpp_server(args.gguf, Path(tmp), args.threads),
        }
        endpoints = [servers.enter_context(starters[name]()) for name in args.servers]
        for concurrency in args.concurrency:
            for endpoint in endpoints:
                runs.append(load(endpoint, concurrency, args))
                console.print(f"{endpoint.name} at {concurrency} clients: done", markup=False)
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    title = (
        f"{MODEL} chat over the OpenAI API, {platform.machine()}, {os.cpu_count()} cores (load average "
        f"{load_average}); {args.threads} threads per server; {args.requests_per_client} requests per "
        f"client, max_tokens {args.max_tokens}, greedy, streamed"
    )
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "aigc_home", "gguf")}
        args.json.write_text(
            json.dumps({"title": title, "settings": settings, "runs": runs}, indent=1) + "\n"
        )
    Console(width=200).print(table(runs, title))
    for run in runs:
        for error in run["errors"][:3]:
            console.print(f"{run['server']} at {run['concurrency']} clients: {error}", markup=False)


if __name__ == "__main__":
    main()
