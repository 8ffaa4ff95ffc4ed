"""aigc's contender in ``benchmarks/chat_decode.py``: the GGUF converted by aigc, run by its decode loop.

    python benchmarks/peers/aigc_worker.py bench --gguf FILE.gguf --threads 2 --batch 1 \\
        --prompt-ids ids.json --new-tokens 64 [--variant quantized] [--repeats 3]

Prints one JSON object (the driver's contract): ``decode_tokens_per_s`` (tokens after the first,
all rows, over the time from the first to the last token), ``prefill_tokens_per_s`` and
``ttft_ms`` (the prompt step of row 0 alone, its first token chosen), ``peak_rss_mb`` and row 0's
greedy ``tokens``. The GGUF is converted once into ``build/peers/aigc-<variant>`` (reused while
the source's sha256 matches). Greedy, exactly ``--new-tokens`` per row (end of text never stops
a row), ``AIGC_THREAD_POOL=session`` by default: a process serving one model.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def converted(gguf: Path, variant: str) -> Path:
    """The converted folder for ``gguf``, converting when it is missing or from another file."""
    from aigc.core.gguf import convert_gguf
    from aigc.core.manifest import sha256_file

    folder = REPO / "build" / "peers" / f"aigc-{variant}"
    record = folder / "conversion.json"
    if not (record.is_file() and json.loads(record.read_text())["source_sha256"] == sha256_file(gguf)):
        convert_gguf(gguf, folder, "fp32" if variant == "fp32" else "quantized")
    return folder


def load(folder: Path, threads: int) -> Any:
    from aigc.core.manifest import Manifest, ModelFile, sha256_file
    from aigc.core.runtime import ModelRuntime
    from aigc.plugins.onnx_causal_lm.model import load_model_folder

    files = {p.name: ModelFile(sha256=sha256_file(p), size=p.stat().st_size) for p in folder.iterdir()}
    runtime = ModelRuntime(device="cpu", threads=threads)
    return load_model_folder(runtime, folder, Manifest(name="bench", version="1", files=files)).model


def rows_of(prompt_ids: Any, batch: int) -> list[list[int]]:
    """One prompt per row: a list of id lists (cycled), or one id list for every row."""
    if prompt_ids and isinstance(prompt_ids[0], list):
        return [list(prompt_ids[i % len(prompt_ids)]) for i in range(batch)]
    return [list(prompt_ids) for _ in range(batch)]


def once(model: Any, rows: list[list[int]], new_tokens: int) -> dict[str, Any]:
    from aigc.core.decoding import SamplingParams

    greedy = SamplingParams(temperature=0)
    started = time.perf_counter()
    first = model.batch(rows[:1], [0], greedy, 1).run()[0]
    ttft = time.perf_counter() - started
    batch = model.batch(rows, list(range(len(rows))), greedy, new_tokens, min_new_tokens=new_tokens)
    batch.step()  # prompts, first token
    decode_started = time.perf_counter()
    while not batch.done:
        batch.step()
    decode = time.perf_counter() - decode_started
    return {
        "ttft_s": ttft,
        "prefill_tokens_per_s": len(rows[0]) / ttft,
        "decode_tokens_per_s": len(rows) * (new_tokens - 1) / decode,
        "tokens": batch.results[0].token_ids,
        "first": first.token_ids,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["bench"])
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--prompt-ids", type=Path, required=True)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variant", choices=["quantized", "fp32"], default="quantized")
    parser.add_argument("--thread-pool", choices=["session", "shared"], default="session")
    args = parser.parse_args()
    os.environ["AIGC_THREAD_POOL"] = args.thread_pool
    model = load(converted(args.gguf, args.variant), args.threads)
    rows = rows_of(json.loads(args.prompt_ids.read_text()), args.batch)
    once(model, rows, min(args.new_tokens, 4))  # warm-up
    runs = [once(model, rows, args.new_tokens) for _ in range(args.repeats)]
    result = {
        "contender": f"aigc ({args.variant})",
        "batch": args.batch,
        "decode_tokens_per_s": statistics.median(r["decode_tokens_per_s"] for r in runs),
        "prefill_tokens_per_s": statistics.median(r["prefill_tokens_per_s"] for r in runs),
        "ttft_ms": 1000 * statistics.median(r["ttft_s"] for r in runs),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tokens": runs[0]["tokens"],
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
