"""aigc's contender in ``benchmarks/chat_decode.py``: the GGUF converted by aigc, run by its decode loop.

    .venv/bin/python benchmarks/peers/aigc_worker.py bench --gguf FILE.gguf --threads 2 --batch 1 \\
        --prompt-ids ids.json --new-tokens 64 [--variant quantized] [--thread-pool session]

The shared contract is ``protocol.py``'s. The GGUF is converted once into
``build/peers/aigc-<variant>`` (reused while the source's sha256 matches) and run by
``StaticDecodeBatch`` on the ``ModelRuntime``: all rows' prompts in one step, then one token per
row per step. ``--thread-pool session`` (default) gives the model ONNX Runtime's own pool of
``--threads`` threads, as a process serving one model would run (``AIGC_THREAD_POOL=session``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from protocol import Clock, Run, add_bench_command, emit, measure, prompt_rows, worker_commands

REPO = Path(__file__).resolve().parents[2]


def converted(gguf: Path, variant: str) -> Path:
    """The converted folder for ``gguf`` with its manifest, converting when it is missing or from
    another file."""
    from aigc.core.gguf import convert_gguf
    from aigc.core.manifest import MANIFEST_NAME, sha256_file
    from aigc.core.model_install import write_folder_manifest

    folder = REPO / "build" / "peers" / f"aigc-{variant}"
    record = folder / "conversion.json"
    fresh = record.is_file() and json.loads(record.read_text())["source_sha256"] == sha256_file(gguf)
    if not (fresh and (folder / MANIFEST_NAME).is_file()):
        convert_gguf(gguf, folder, "fp32" if variant == "fp32" else "quantized")
        write_folder_manifest(folder, "smollm2", "bench", {"source": gguf.name, "variant": variant})
    return folder


def load(folder: Path, threads: int) -> Any:
    """The model's ``StaticCacheLM``, loaded as the ``smollm2`` generator loads it."""
    from aigc.core.manifest import load_manifest
    from aigc.core.runtime import ModelRuntime
    from aigc.plugins.onnx_causal_lm.model import load_model_folder

    runtime = ModelRuntime(device="cpu", threads=threads)
    return load_model_folder(runtime, folder, load_manifest(folder)).model


def generate(model: Any, rows: list[list[int]], new_tokens: int) -> Run:
    """One greedy generation: the prompt step (first token chosen), then the rest."""
    from aigc.core.decoding import SamplingParams

    clock = Clock()
    batch = model.batch(rows, list(range(len(rows))), SamplingParams(temperature=0), new_tokens, new_tokens)
    batch.step()
    first = clock()
    while not batch.done:
        batch.step()
    return Run(
        prefill_s=first, ttft_s=first, decode_s=clock() - first, tokens=[r.token_ids for r in batch.results]
    )


def main() -> None:
    parser, commands = worker_commands(__doc__ or "")
    add_bench_command(commands, "--gguf", "the GGUF file aigc converts")
    bench = commands.choices["bench"]
    bench.add_argument("--variant", choices=["quantized", "fp32"], default="quantized")
    bench.add_argument("--thread-pool", choices=["session", "shared"], default="session")
    args = parser.parse_args()
    os.environ["AIGC_THREAD_POOL"] = args.thread_pool
    rows = prompt_rows(args.prompt_ids, args.batch)
    model = load(converted(args.gguf, args.variant), args.threads)
    emit(measure(f"aigc ({args.variant})", args, rows, lambda: generate(model, rows, args.new_tokens)))


if __name__ == "__main__":
    main()
