"""onnxruntime-genai as a chat peer: decode speed of a model builder folder (int4 or fp32, CPU).

    build/peers/ort-genai/bin/python benchmarks/peers/ort_genai_worker.py bench \\
        --model build/peers/genai-int4 --prompt-ids FILE.json [--threads 2] [--batch 1] \\
        [--new-tokens 64] [--repeats 3]

Prints one JSON object (the contract of ``protocol.py``). The session runs ``--threads`` intra-op
threads and one inter-op thread (overlaid on the folder's ``genai_config.json``). ``append_tokens``
evaluates the prompts (prefill); each ``generate_next_token`` picks the greedy token from the current
logits and, from the second on, first runs the model on the previous token. ``min_length`` =
``max_length`` so that end-of-text never stops a row.
"""

from __future__ import annotations

import argparse
import functools
import json
from typing import Any

import numpy as np
import onnxruntime_genai as og
from protocol import Clock, Generate, Run, bench_main


def load(args: argparse.Namespace) -> tuple[str, Generate]:
    """The ``--model`` folder on CPU with ``--threads`` intra-op threads, and its generation function."""
    config = og.Config(str(args.model))
    options = {"intra_op_num_threads": args.threads, "inter_op_num_threads": 1}
    config.overlay(json.dumps({"model": {"decoder": {"session_options": options}}}))
    contender = f"onnxruntime-genai {og.__version__} ({args.model.name})"
    return contender, functools.partial(generate, og.Model(config))


def generate(model: Any, rows: list[list[int]], new_tokens: int) -> Run:
    """Greedy generation of exactly ``new_tokens`` ids per row."""
    clock = Clock()
    params = og.GeneratorParams(model)
    total = len(rows[0]) + new_tokens
    params.set_search_options(max_length=total, min_length=total, do_sample=False, batch_size=len(rows))
    generator = og.Generator(model, params)
    generator.append_tokens(np.asarray(rows, dtype=np.int32))
    run = Run(prefill_s=clock())
    generator.generate_next_token()
    run.ttft_s = clock()
    for _ in range(new_tokens - 1):
        generator.generate_next_token()
    run.decode_s = clock() - run.ttft_s
    run.tokens = [[int(t) for t in generator.get_sequence(i)[len(rows[0]) :]] for i in range(len(rows))]
    return run


if __name__ == "__main__":
    bench_main(__doc__, "--model", "model builder output folder", load)
