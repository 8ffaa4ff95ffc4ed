"""The command-line contract every chat peer worker shares (standard library only: each worker runs in
its own environment, with this folder on ``sys.path`` because it holds the worker script).

``bench`` measures one greedy generation of exactly ``--new-tokens`` tokens per row from the first
``--batch`` rows of ``--prompt-ids`` (a JSON list of equal-length id lists) and prints one JSON object:
``contender, batch, prompt_tokens, new_tokens, prefill_tokens_per_s, ttft_ms, decode_tokens_per_s,
peak_rss_mb, tokens`` (row 0's new ids), each timing the median of ``--repeats`` runs after a warm-up.
``chat_decode.py`` documents what each figure means.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Run:
    """One generation: seconds spent evaluating the prompts, until the first new token, and from the
    first new token to the last (summed over rows where rows run one after another); new ids per row."""

    prefill_s: float = 0.0
    ttft_s: float = 0.0
    decode_s: float = 0.0
    tokens: list[list[int]] = field(default_factory=list)


class Clock:
    """Seconds since construction (``time.perf_counter``)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.started


def read_json(path: Path) -> Any:
    """A JSON file, gzip-compressed when its name ends in ``.gz``."""
    data = path.read_bytes()
    return json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)


def worker_commands(doc: str) -> tuple[argparse.ArgumentParser, Any]:
    """A worker's parser (described by the first line of ``doc``) and its sub-command set."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    return parser, parser.add_subparsers(dest="command", required=True)


def add_bench_command(commands: Any, model_option: str, model_help: str) -> None:
    """The ``bench`` sub-command every worker accepts, with its model option (``--gguf``/``--model``)."""
    parser = commands.add_parser("bench", help="greedy decode speed")
    parser.add_argument(model_option, type=Path, required=True, help=model_help)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model")
    parser.add_argument("--batch", type=int, default=1, help="rows generated together")
    parser.add_argument("--prompt-ids", type=Path, required=True, help="JSON list of equal-length id lists")
    parser.add_argument("--new-tokens", type=int, default=64, help="new tokens per row, exactly")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up (median)")


def prompt_rows(path: Path, batch: int) -> list[list[int]]:
    """The first ``batch`` rows of ``path``; they must exist and have one length."""
    rows = read_json(path)
    if batch < 1 or len(rows) < batch:
        raise SystemExit(f"--batch {batch}: {path} holds {len(rows)} prompt rows")
    rows = [[int(i) for i in row] for row in rows[:batch]]
    if len({len(row) for row in rows}) != 1 or not rows[0]:
        raise SystemExit(f"--prompt-ids: the first {batch} rows of {path} must be non-empty and equally long")
    return rows


def measure(
    contender: str, args: argparse.Namespace, rows: list[list[int]], generate: Callable[[], Run]
) -> dict[str, Any]:
    """Warm up once, time ``--repeats`` generations and summarise them as the contract says."""
    generate()
    runs = [generate() for _ in range(args.repeats)]
    for run in runs:
        if len(run.tokens) != len(rows) or any(len(row) != args.new_tokens for row in run.tokens):
            raise SystemExit(f"{contender} returned {[len(r) for r in run.tokens]} new tokens per row")
    prompt_tokens = len(rows) * len(rows[0])
    decode_tokens = len(rows) * (args.new_tokens - 1)
    return {
        "contender": contender,
        "batch": len(rows),
        "prompt_tokens": prompt_tokens,
        "new_tokens": args.new_tokens,
        "prefill_tokens_per_s": statistics.median(prompt_tokens / r.prefill_s for r in runs),
        "ttft_ms": statistics.median(1e3 * r.ttft_s for r in runs),
        "decode_tokens_per_s": statistics.median(decode_tokens / r.decode_s for r in runs),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tokens": runs[-1].tokens[0],
    }


def emit(result: dict[str, Any]) -> None:
    """Print the worker's one JSON object."""
    print(json.dumps(result), flush=True)


Generate = Callable[[list[list[int]], int], Run]
Loader = Callable[[argparse.Namespace], tuple[str, Generate]]


def bench_main(doc: str, model_option: str, model_help: str, load: Loader) -> None:
    """A worker whose only sub-command is ``bench``: ``load(args)`` gives the contender's name and its
    generation function (rows, new tokens) -> Run."""
    parser, commands = worker_commands(doc)
    add_bench_command(commands, model_option, model_help)
    args = parser.parse_args()
    rows = prompt_rows(args.prompt_ids, args.batch)
    contender, generate = load(args)
    emit(measure(contender, args, rows, lambda: generate(rows, args.new_tokens)))
