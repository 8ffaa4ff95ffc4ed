"""Chat model decode speed (SmolLM2-135M-Instruct, GGUF Q4_1): aigc versus llama.cpp, onnxruntime-genai
and transformers.

    bash benchmarks/peers/setup.sh      # once: peer environments and models under build/peers/
    .venv/bin/python benchmarks/chat_decode.py [--setup] [--threads 2] [--batches 1 16]
        [--new-tokens 64] [--repeats 3] [--json OUT.json]

Every contender runs in its own process and environment, one at a time, with the same thread
count, through one command-line contract (``benchmarks/peers/protocol.py``): ``WORKER bench
--threads T --batch B --prompt-ids FILE.json --new-tokens N --repeats R`` plus its model argument
(``--gguf`` or ``--model``), printing one JSON object. Contenders:

- ``llama.cpp``: llama-cpp-python on the GGUF as shipped (Q8_0 embeddings, Q4_1 elsewhere);
- ``onnxruntime-genai``: its model builder's CPU graphs, int4 and fp32, built from the GGUF
  dequantised by transformers (so the int4 graph is re-quantised, not llama.cpp's Q4_1 blocks);
- ``transformers``: the GGUF dequantised to float32, torch eager mode;
- ``aigc``: ``benchmarks/peers/aigc_worker.py`` with ``--gguf``, when that file exists.

Protocol:

- prompts: the held-out text ``tests/fixtures/smollm2/perplexity_text.txt`` tokenized by
  llama.cpp once; batch 1 takes its first 512 ids; batch B > 1 takes B rows of 64 ids from
  consecutive windows (ids 0-63, 64-127, ...), equal lengths, so no contender pads;
- greedy, exactly N new tokens per row (end-of-text never stops a row);
- prefill tokens/s = prompt tokens (all rows) / time to evaluate the prompts;
- TTFT = time from the generation call's start to the first new token (prompt evaluation and the
  first greedy choice);
- decode tokens/s = rows x (N - 1) / time from the first new token to the last;
- peak RSS = the worker process's ``ru_maxrss`` (model loading included);
- each figure is the median of ``--repeats`` runs after one warm-up;
- at batch B > 1 llama.cpp is measured two ways: B sequences in one context, one ``llama_decode``
  per step for all rows (low-level batch API), and one row after another (what its high-level API
  does; figures summed over rows, TTFT of row 0); the table shows both, the ratio column uses the
  faster;
- "same 16" says whether row 0's first 16 greedy tokens equal llama.cpp's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO / "build" / "peers"
WORKERS = REPO / "benchmarks" / "peers"
WORK = REPO / "build" / "chat_decode"
GGUF = PEERS / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT = REPO / "tests" / "fixtures" / "smollm2" / "perplexity_text.txt"
LLAMA_PYTHON = PEERS / "llama-cpp" / "bin" / "python"
GENAI_PYTHON = PEERS / "ort-genai" / "bin" / "python"
PREFILL_TOKENS = 512
BATCH_PROMPT_TOKENS = 64
AGREEMENT_TOKENS = 16


def contenders(gguf: Path) -> dict[str, list[str] | None]:
    """Each contender's command before the shared ``bench`` arguments; None when not available."""
    aigc = WORKERS / "aigc_worker.py"
    return {
        "llama.cpp": [str(LLAMA_PYTHON), str(WORKERS / "llama_cpp_worker.py"), "bench", "--gguf", str(gguf)],
        "onnxruntime-genai int4": [
            str(GENAI_PYTHON),
            str(WORKERS / "ort_genai_worker.py"),
            "bench",
            "--model",
            str(PEERS / "genai-int4"),
        ],
        "onnxruntime-genai fp32": [
            str(GENAI_PYTHON),
            str(WORKERS / "ort_genai_worker.py"),
            "bench",
            "--model",
            str(PEERS / "genai-fp32"),
        ],
        "transformers": [
            sys.executable,
            str(WORKERS / "transformers_worker.py"),
            "bench",
            "--gguf",
            str(gguf),
        ],
        "aigc": [sys.executable, str(aigc), "bench", "--gguf", str(gguf)] if aigc.is_file() else None,
    }


def worker_json(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one worker; its last stdout line is its JSON object."""
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prompt_files(gguf: Path, text: Path, batches: list[int], env: dict[str, str]) -> dict[int, Path]:
    """Tokenize ``text`` with llama.cpp once and write each batch's prompt rows; {batch: file}."""
    tokenize = [str(LLAMA_PYTHON), str(WORKERS / "llama_cpp_worker.py"), "tokenize", "--whole"]
    ids = worker_json([*tokenize, "--gguf", str(gguf), "--lines", str(text)], env)["ids"][0]
    WORK.mkdir(parents=True, exist_ok=True)
    files = {}
    for batch in batches:
        width = PREFILL_TOKENS if batch == 1 else BATCH_PROMPT_TOKENS
        if len(ids) < batch * width:
            raise SystemExit(f"--batches {batch}: {text} has {len(ids)} tokens, fewer than {batch} x {width}")
        rows = [ids[row * width : (row + 1) * width] for row in range(batch)]
        files[batch] = WORK / f"prompt-b{batch}.json"
        files[batch].write_text(json.dumps(rows))
    return files


def table_rows(results: list[dict[str, Any]]) -> list[str]:
    """Markdown rows: every result (and llama.cpp's other batching mode) against llama.cpp's."""
    lines = []
    for result in results:
        base = next((r for r in results if r["name"] == "llama.cpp" and r["batch"] == result["batch"]), None)
        for entry in [result, result["other"]] if "other" in result else [result]:
            mode = entry.get("mode", "single")
            label = entry["contender"] + ("" if mode == "single" else f", {mode}")
            ratio = same = ""
            if base is not None:
                ratio = f"{entry['decode_tokens_per_s'] / base['decode_tokens_per_s']:.2f}x"
                agree = entry["tokens"][:AGREEMENT_TOKENS] == base["tokens"][:AGREEMENT_TOKENS]
                same = "yes" if agree else "no"
            lines.append(
                f"| {label} | {result['batch']} | {entry['decode_tokens_per_s']:,.0f} "
                f"| {entry['prefill_tokens_per_s']:,.0f} | {entry['ttft_ms']:,.0f} "
                f"| {entry['peak_rss_mb']:,.0f} | {ratio} | {same} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="run benchmarks/peers/setup.sh first")
    parser.add_argument("--gguf", type=Path, default=GGUF)
    parser.add_argument("--text", type=Path, default=TEXT, help="held-out text for the prompts")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--contenders", nargs="+", default=None, help="names to run (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    args = parser.parse_args()
    if args.setup:
        subprocess.run(["bash", str(WORKERS / "setup.sh")], check=True, cwd=REPO)
    if not LLAMA_PYTHON.exists():
        raise SystemExit(f"{LLAMA_PYTHON} is missing: run bash benchmarks/peers/setup.sh (or pass --setup)")
    threads = str(args.threads)
    env = {**os.environ, "OMP_NUM_THREADS": threads, "AIGC_THREADS": threads}
    files = prompt_files(args.gguf, args.text, args.batches, env)
    commands = contenders(args.gguf)
    if args.contenders:
        unknown = set(args.contenders) - set(commands)
        if unknown:
            raise SystemExit(f"--contenders: unknown {sorted(unknown)}; known: {list(commands)}")
        commands = {name: command for name, command in commands.items() if name in args.contenders}
    results: list[dict[str, Any]] = []
    for batch in args.batches:
        for name, command in commands.items():
            if command is None:
                print(f"{name}: not available (benchmarks/peers/aigc_worker.py is missing)", file=sys.stderr)
                continue
            shared = ["--threads", threads, "--batch", str(batch), "--prompt-ids", str(files[batch])]
            shared += ["--new-tokens", str(args.new_tokens), "--repeats", str(args.repeats)]
            try:
                result = worker_json([*command, *shared], env)
            except RuntimeError as error:
                print(f"{name} at batch {batch}: {error}", file=sys.stderr)
                continue
            results.append({"name": name, **result})
            print(f"{name} at batch {batch}: done", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    machine = platform.processor() or platform.machine()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {machine}, {os.cpu_count()} cores (load average {load}); threads {args.threads}; "
        f"prompt {PREFILL_TOKENS} tokens at batch 1, {BATCH_PROMPT_TOKENS} per row above; "
        f"{args.new_tokens} new tokens per row, greedy, median of {args.repeats}\n"
    )
    print(
        "| contender | batch | decode tok/s | prefill tok/s | TTFT ms | peak RSS MB "
        f"| decode vs llama.cpp | same {AGREEMENT_TOKENS} tokens as llama.cpp |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(table_rows(results)))


if __name__ == "__main__":
    main()
