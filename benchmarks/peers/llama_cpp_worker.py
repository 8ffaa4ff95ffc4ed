"""llama.cpp (llama-cpp-python) as a chat peer: tokenizer, perplexity and decode speed of a GGUF model.

Runs in the llama.cpp peer environment (``bash benchmarks/peers/setup.sh``)::

    build/peers/llama-cpp/bin/python benchmarks/peers/llama_cpp_worker.py tokenize --gguf F --lines FILE
    build/peers/llama-cpp/bin/python benchmarks/peers/llama_cpp_worker.py perplexity --gguf F \\
        --ids FILE.json[.gz] [--chunk 512] [--threads 2]
    build/peers/llama-cpp/bin/python benchmarks/peers/llama_cpp_worker.py bench --gguf F \\
        --prompt-ids FILE.json [--threads 2] [--batch 1] [--new-tokens 64] [--repeats 3]

Each prints one JSON object on stdout.

``tokenize``: ``{"ids": [[...], ...]}``, one id list per line of FILE, where the lines are
``FILE.read_text(encoding="utf-8").split("\\n")`` (whitespace kept exactly, empty lines included, a
trailing newline gives a last empty line); with ``--whole``, one list for the whole file. llama.cpp's
own tokenizer (a vocabulary-only model), no BOS added, special tokens parsed (``<|im_start|>`` in the
text becomes its single special id).

``perplexity`` protocol (aigc's evaluation implements the same, so the figures compare):

1. the ids (a JSON list of ints) are cut into consecutive chunks of ``--chunk`` ids; a last partial
   chunk is dropped;
2. each chunk is evaluated on its own from an empty KV cache (no BOS added, positions 0..chunk-1);
3. the logits at positions 0..chunk-2 score the ids at positions 1..chunk-1: NLL = logsumexp(logits)
   - logits[id], in float64 from the model's float32 logits;
4. perplexity = exp(mean NLL over all scored ids of all chunks).

Output: ``{"perplexity", "mean_nll", "tokens_scored", "chunks", "chunk"}``.

``bench``: the contract of ``protocol.py``; ``chat_decode.py`` documents the figures. Greedy is the
argmax of the float32 logits. At batch B > 1 it measures both ways llama.cpp runs several rows:
``batched`` (all rows as separate sequences of one context, one ``llama_decode`` per step for every
row, through the low-level batch API) and ``sequential`` (one row after another, as the high-level
``Llama`` API does: its decode and prefill figures are the rows' summed times, its TTFT row 0's),
reports the faster decode as the result and the other under ``"other"``.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import math
from pathlib import Path
from typing import Any

import llama_cpp as lc
import numpy as np
from protocol import Clock, Run, add_bench_command, emit, measure, prompt_rows, read_json, worker_commands


def tokenize(gguf: Path, lines_file: Path, whole: bool) -> dict[str, Any]:
    """llama.cpp's ids for every line of ``lines_file``, or for the whole file as one text
    (no BOS, special tokens parsed)."""
    llm = lc.Llama(str(gguf), vocab_only=True, verbose=False)
    text = lines_file.read_text(encoding="utf-8")
    lines = [text] if whole else text.split("\n")
    return {"ids": [llm.tokenize(line.encode("utf-8"), add_bos=False, special=True) for line in lines]}


def perplexity(gguf: Path, ids_file: Path, chunk: int, threads: int) -> dict[str, Any]:
    """Perplexity of the ids under the protocol in this module's docstring."""
    ids = [int(i) for i in read_json(ids_file)]
    if chunk < 2 or len(ids) < chunk:
        raise SystemExit(f"--chunk {chunk}: needs 2 <= chunk <= number of ids ({len(ids)})")
    llm = lc.Llama(
        str(gguf),
        n_ctx=chunk,
        n_batch=chunk,
        n_ubatch=chunk,
        logits_all=True,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    total, scored = 0.0, 0
    chunks = len(ids) // chunk
    for start in range(0, chunks * chunk, chunk):
        window = ids[start : start + chunk]
        llm.reset()  # the next eval clears the KV cache from position 0
        llm.eval(window)
        logits = np.asarray(llm.scores[: chunk - 1], dtype=np.float64)
        peak = logits.max(axis=1, keepdims=True)
        log_norm = peak[:, 0] + np.log(np.exp(logits - peak).sum(axis=1))
        targets = np.asarray(window[1:])
        total += float((log_norm - logits[np.arange(chunk - 1), targets]).sum())
        scored += chunk - 1
    return {
        "perplexity": math.exp(total / scored),
        "mean_nll": total / scored,
        "tokens_scored": scored,
        "chunks": chunks,
        "chunk": chunk,
    }


class Context:
    """A llama.cpp context for ``sequences`` rows and a token batch, through the low-level API."""

    def __init__(self, model: Any, n_vocab: int, sequences: int, row_tokens: int, batch: int, threads: int):
        params = lc.llama_context_default_params()
        # Each sequence gets n_ctx / n_seq_max cells; llama.cpp pads per-sequence sizes to 256.
        params.n_ctx = sequences * 256 * math.ceil(row_tokens / 256)
        params.n_batch = batch
        params.n_ubatch = min(batch, 512)
        params.n_seq_max = sequences
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        self.ctx = lc.llama_init_from_model(model, params)
        if not self.ctx:
            raise SystemExit("llama.cpp could not create a context")
        self.batch = lc.llama_batch_init(batch, 0, 1)
        self.n_vocab = n_vocab

    def clear(self) -> None:
        """Empty the KV cache of every sequence."""
        lc.llama_memory_clear(lc.llama_get_memory(self.ctx), True)

    def next_tokens(self, tokens: list[tuple[int, int, int]], last: list[int]) -> list[int]:
        """Decode ``(token, position, sequence)`` entries; the greedy next id after each index in ``last``."""
        batch = self.batch
        wanted = set(last)
        for i, (token, position, sequence) in enumerate(tokens):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = sequence
            batch.logits[i] = i in wanted
        batch.n_tokens = len(tokens)
        status = lc.llama_decode(self.ctx, batch)
        if status != 0:
            raise SystemExit(f"llama_decode failed with status {status}")
        pointer = lc.llama_get_logits(self.ctx)
        logits = np.ctypeslib.as_array(
            ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(len(last), self.n_vocab)
        )
        return [int(i) for i in logits.argmax(axis=1)]


def generate(context: Context, rows: list[list[int]], new_tokens: int) -> Run:
    """Greedy generation of ``new_tokens`` ids for every row, all rows in each decode call."""
    clock = Clock()
    context.clear()
    length = len(rows[0])
    prompt = [(token, pos, seq) for seq, row in enumerate(rows) for pos, token in enumerate(row)]
    ends = [(seq + 1) * length - 1 for seq in range(len(rows))]
    chosen = context.next_tokens(prompt, ends)
    run = Run(prefill_s=clock())
    run.ttft_s = clock()
    run.tokens = [[token] for token in chosen]
    for step in range(1, new_tokens):
        entries = [(token, length + step - 1, seq) for seq, token in enumerate(chosen)]
        chosen = context.next_tokens(entries, list(range(len(rows))))
        for row, token in zip(run.tokens, chosen, strict=True):
            row.append(token)
    run.decode_s = clock() - run.ttft_s
    return run


def generate_sequentially(context: Context, rows: list[list[int]], new_tokens: int) -> Run:
    """Rows one after another in a one-sequence context; prefill and decode times summed over rows."""
    total = Run()
    for index, row in enumerate(rows):
        run = generate(context, [row], new_tokens)
        total.prefill_s += run.prefill_s
        total.decode_s += run.decode_s
        total.ttft_s = run.ttft_s if index == 0 else total.ttft_s
        total.tokens += run.tokens
    return total


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Decode speed under the shared contract (both batching modes at batch > 1)."""
    rows = prompt_rows(args.prompt_ids, args.batch)
    # llama-cpp-python routes llama.cpp's log through this logger; keep only errors on stderr.
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    lc.llama_backend_init()
    params = lc.llama_model_default_params()
    model = lc.llama_model_load_from_file(str(args.gguf).encode(), params)
    if not model:
        raise SystemExit(f"--gguf: llama.cpp could not load {args.gguf}")
    n_vocab = lc.llama_vocab_n_tokens(lc.llama_model_get_vocab(model))
    row_tokens = len(rows[0]) + args.new_tokens
    contender = f"llama.cpp {lc.__version__}"
    batched = Context(model, n_vocab, len(rows), row_tokens, len(rows) * len(rows[0]), args.threads)
    result = measure(contender, args, rows, lambda: generate(batched, rows, args.new_tokens))
    result["mode"] = "batched" if len(rows) > 1 else "single"
    if len(rows) > 1:
        single = Context(model, n_vocab, 1, row_tokens, len(rows[0]), args.threads)
        other = measure(contender, args, rows, lambda: generate_sequentially(single, rows, args.new_tokens))
        other["mode"] = "sequential"
        if other["decode_tokens_per_s"] > result["decode_tokens_per_s"]:
            result, other = other, result
        result["other"] = other
    return result


def main() -> None:
    parser, commands = worker_commands(__doc__)
    tok = commands.add_parser("tokenize", help="llama.cpp's ids for every line of a file")
    tok.add_argument("--gguf", type=Path, required=True)
    tok.add_argument("--lines", type=Path, required=True)
    tok.add_argument("--whole", action="store_true", help="one id list for the whole file")
    ppl = commands.add_parser("perplexity", help="chunked perplexity of a list of ids")
    ppl.add_argument("--gguf", type=Path, required=True)
    ppl.add_argument("--ids", type=Path, required=True, help="JSON list of ids (.json or .json.gz)")
    ppl.add_argument("--chunk", type=int, default=512)
    ppl.add_argument("--threads", type=int, default=2)
    add_bench_command(commands, "--gguf", "the GGUF file")
    args = parser.parse_args()
    if args.command == "tokenize":
        emit(tokenize(args.gguf, args.lines, args.whole))
    elif args.command == "perplexity":
        emit(perplexity(args.gguf, args.ids, args.chunk, args.threads))
    else:
        emit(bench(args))


if __name__ == "__main__":
    main()
