"""transformers (torch eager, CPU) as a chat peer: decode speed of the GGUF model, dequantised on load.

    .venv/bin/python benchmarks/peers/transformers_worker.py bench --gguf F --prompt-ids FILE.json \\
        [--threads 2] [--batch 1] [--new-tokens 64] [--repeats 3]

Prints one JSON object (the contract of ``protocol.py``). The model is loaded with
``from_pretrained(folder, gguf_file=name)`` in float32, torch eager mode (no ``torch.compile``, default
attention), ``torch.set_num_threads``.
Rows have one length, so no padding; ``generate(min_new_tokens=N, max_new_tokens=N, do_sample=False)``.
The prefill figure times one forward pass over the prompts (with a KV cache, as ``generate`` runs it);
TTFT and decode come from a streamer's timestamps inside ``generate``.
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

import torch
import transformers
from protocol import Clock, Generate, Run, bench_main
from transformers import AutoModelForCausalLM
from transformers.generation.streamers import BaseStreamer


class TokenClock(BaseStreamer):
    """Records when ``generate`` hands over its first and last new token."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.puts: list[float] = []

    def put(self, value: Any) -> None:
        self.puts.append(self.clock())  # the first call carries the prompt, the next ones new tokens

    def end(self) -> None:
        pass


def generate(model: Any, rows: list[list[int]], new_tokens: int) -> Run:
    """Greedy generation of exactly ``new_tokens`` ids per row."""
    ids = torch.tensor(rows)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        clock = Clock()
        model(input_ids=ids, attention_mask=mask, use_cache=True)
        run = Run(prefill_s=clock())
        clock = Clock()
        stamps = TokenClock(clock)
        out = model.generate(
            ids,
            attention_mask=mask,
            min_new_tokens=new_tokens,
            max_new_tokens=new_tokens,
            do_sample=False,
            streamer=stamps,
            pad_token_id=model.generation_config.eos_token_id,
        )
    run.ttft_s = stamps.puts[1]
    run.decode_s = stamps.puts[-1] - stamps.puts[1]
    run.tokens = out[:, len(rows[0]) :].tolist()
    return run


def load(args: argparse.Namespace) -> tuple[str, Generate]:
    """The model dequantised from ``--gguf`` on ``--threads`` threads, and its generation function."""
    torch.set_num_threads(args.threads)
    model = AutoModelForCausalLM.from_pretrained(
        args.gguf.parent, gguf_file=args.gguf.name, dtype=torch.float32
    ).eval()
    contender = f"transformers {transformers.__version__} (torch {torch.__version__})"
    return contender, functools.partial(generate, model)


if __name__ == "__main__":
    bench_main(__doc__, "--gguf", "the GGUF file", load)
