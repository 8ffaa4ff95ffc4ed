"""Decode tokens per second of the text-transformer model: aigc versus torch, transformers, onnxruntime-genai.

    python benchmarks/text_decode.py [--threads 2] [--batches 1 16] [--prompt 16] [--new 128]
        [--genai-python /tmp/genai-venv/bin/python]

Every contender runs the same weights (the plugin's ``model.onnx``; converted to a Hugging Face
Llama folder for transformers and onnxruntime-genai's model builder), greedy, on the same random
prompts of ``--prompt`` tokens, producing exactly ``--new`` tokens per row (end-of-text never
stops a row), each in its own process with the same thread count:

- ``torch eager``: ``Decoder.greedy`` (KV cache), ``torch.set_num_threads(N)``;
- ``transformers``: ``LlamaForCausalLM.generate`` (KV cache, ``min_new_tokens`` = ``max_new_tokens``);
- ``onnxruntime-genai``: the model builder's fp32 CPU graph (GroupQueryAttention, shared
  past/present buffers), ``intra_op_num_threads`` = N. It needs its own environment because its
  package depends on CPU ``onnxruntime``, which would overwrite ``onnxruntime-gpu``::

      python3.11 -m venv /tmp/genai-venv
      /tmp/genai-venv/bin/pip install --no-deps onnxruntime-genai==0.18.0 onnxruntime==1.31.1
      # reuse torch/transformers/onnx of the project's venv for the model builder (read-only):
      echo "$PWD/.venv/lib/python3.11/site-packages" \
          > /tmp/genai-venv/lib/python3.11/site-packages/zz_main.pth

- ``aigc``: ``aigc.core.decoding.DecodeBatch`` on the runtime's session (the process's shared ORT
  pool of N threads), numpy sampling; ``aigc, session pool``: the same with
  ``AIGC_THREAD_POOL=session`` (the session's own pool of N threads, spinning between ops, ORT's
  default); ``aigc loop, genai graph``:
  aigc's loop on the model builder's graph (GroupQueryAttention and fused norms; contrib ops that
  onnxruntime-gpu also has), which separates the graph's share of the gap from the loop's.
  (Comparable here because every row has the same prompt length; that graph takes no
  ``position_ids``, so left-padded batches would need checking.)

Tokens/s = batch x new tokens / wall time of the whole generation (prompt included), median of
``--repeats`` runs after one warm-up. ``--profile`` splits aigc's time into graph runs and the rest;
``--op-profile FILE.onnx`` prints the time per ONNX op type (ORT's profiler) for aigc's loop on
that graph (e.g. the plugin's ``model.onnx`` or onnxruntime-genai's ``build/bench_text/genai/model.onnx``).
Prints a Markdown table with the ratio to torch eager, and whether each contender's tokens
equal aigc's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PLUGIN_DIR = REPO / "plugins" / "text_transformer"
WORK = REPO / "build" / "bench_text"
CONTENDERS = (
    "torch eager",
    "transformers",
    "onnxruntime-genai",
    "aigc",
    "aigc, session pool",
    "aigc loop, genai graph",
)


def prompts(batch: int, length: int, vocab: int, seed: int = 0) -> list[list[int]]:
    """Random prompt ids (never 0, the end-of-text id), the same in every process."""
    import numpy as np

    return np.random.default_rng(seed).integers(1, vocab, (batch, length)).tolist()  # type: ignore[no-any-return]


def timed(run: Any, repeats: int) -> tuple[float, Any]:
    run()  # warm-up
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Run one contender at one batch size in this process; returns seconds and the new tokens."""
    # Read the config as JSON: the onnxruntime-genai environment cannot import aigc.
    config = json.loads((PLUGIN_DIR / "config.json").read_text())["decoder"]
    ids = prompts(args.batch, args.prompt, config["vocab_size"])
    new = args.new
    extra: dict[str, Any] = {}
    eos = 0  # never chosen: every contender must produce exactly ``new`` tokens per row
    if args.worker in ("aigc", "aigc, session pool", "aigc loop, genai graph"):
        from aigc.core.decoding import CausalLM, DecodeBatch, SamplingParams

        if args.worker in ("aigc", "aigc, session pool"):
            from aigc.core.runtime import ModelRuntime

            pool = "session" if args.worker == "aigc, session pool" else "shared"
            runtime = ModelRuntime(device="cpu", threads=args.threads, thread_pool=pool)
            session: Any = runtime.session(PLUGIN_DIR, "model.onnx")
        else:
            # aigc's loop on the model builder's graph, in a plain session without spinning threads.
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = args.threads
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            path = WORK / "genai" / "model.onnx"
            plain = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            session = type(
                "Session", (), {"session": plain, "input_names": [i.name for i in plain.get_inputs()]}
            )
        cache_shape = (config["n_kv_heads"], config["d_model"] // config["n_heads"])
        model = CausalLM(session, config["context_length"], eos, cache_shape)
        graph_seconds = [0.0]
        if args.profile:
            forward = model.forward

            def timed_forward(*a: Any) -> Any:
                started = time.perf_counter()
                out = forward(*a)
                graph_seconds[0] += time.perf_counter() - started
                return out

            model.forward = timed_forward  # type: ignore[method-assign]

        def run() -> list[list[int]]:
            graph_seconds[0] = 0.0
            params = SamplingParams(temperature=0)
            batch = DecodeBatch(model, ids, list(range(len(ids))), params, new, min_new_tokens=new)
            return [r.token_ids for r in batch.run()]

        seconds, tokens = timed(run, args.repeats)
        if args.profile:
            extra["graph_seconds"] = graph_seconds[0]
    elif args.worker == "torch eager":
        import torch

        from aigc.plugins.text_transformer.export import load_torch_decoder

        torch.set_num_threads(args.threads)
        decoder = load_torch_decoder(PLUGIN_DIR)
        tensor = torch.tensor(ids)
        with torch.inference_mode():
            seconds, out = timed(lambda: decoder.greedy(tensor, new, suppress_token=eos), args.repeats)
        tokens = out.tolist()
    elif args.worker == "transformers":
        import torch
        from transformers import LlamaForCausalLM

        torch.set_num_threads(args.threads)
        llama = LlamaForCausalLM.from_pretrained(WORK / "llama").eval()
        tensor = torch.tensor(ids)
        mask = torch.ones_like(tensor)

        def run_hf() -> Any:
            return llama.generate(
                tensor,
                attention_mask=mask,
                max_new_tokens=new,
                min_new_tokens=new,
                do_sample=False,
                pad_token_id=eos,
            )

        with torch.inference_mode():
            seconds, out = timed(run_hf, args.repeats)
        tokens = out[:, args.prompt :].tolist()
    elif args.worker == "onnxruntime-genai":
        import numpy as np
        import onnxruntime_genai as og

        model = og.Model(str(WORK / "genai"))

        def run_genai() -> list[list[int]]:
            params = og.GeneratorParams(model)
            total = args.prompt + new
            params.set_search_options(
                max_length=total, min_length=total, do_sample=False, batch_size=len(ids)
            )
            generator = og.Generator(model, params)
            generator.append_tokens(np.asarray(ids, dtype=np.int32))
            while not generator.is_done():
                generator.generate_next_token()
            return [list(generator.get_sequence(i))[args.prompt :] for i in range(len(ids))]

        seconds, tokens = timed(run_genai, args.repeats)
    else:
        raise SystemExit(f"unknown contender {args.worker!r}")
    return {"seconds": seconds, "tokens": [list(map(int, row)) for row in tokens], **extra}


def op_profile(batch: int, prompt: int, new: int, threads: int, model_path: Path) -> None:
    """Time per ONNX op type over one greedy generation (ORT's profiler), printed as a table."""
    import collections

    import onnxruntime as ort

    from aigc.core.decoding import CausalLM, DecodeBatch, SamplingParams

    config = json.loads((PLUGIN_DIR / "config.json").read_text())["decoder"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.enable_profiling = True
    options.profile_file_prefix = str(WORK / "ort_profile")
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    wrapped = type("Session", (), {"session": session, "input_names": [i.name for i in session.get_inputs()]})
    model = CausalLM(wrapped, config["context_length"], eos_token_id=None)  # type: ignore[arg-type]
    ids = prompts(batch, prompt, config["vocab_size"])
    started = time.perf_counter()
    DecodeBatch(model, ids, list(range(batch)), SamplingParams(temperature=0), new).run()
    wall = time.perf_counter() - started
    events = json.loads(Path(session.end_profiling()).read_text())
    per_op: collections.Counter[str] = collections.Counter()
    runs = 0.0
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            per_op[event["args"]["op_name"]] += event["dur"]
        elif event.get("cat") == "Session" and event["name"] == "model_run":
            runs += event["dur"]
    kernels = sum(per_op.values())
    nodes = len({e["name"] for e in events if e.get("cat") == "Node"})
    print(
        f"{model_path.name}, batch {batch}: wall {wall * 1e3:.0f} ms, inside run() {runs / 1e3:.0f} ms, "
        f"kernels {kernels / 1e3:.0f} ms, {nodes} nodes after optimisation, {new} steps"
    )
    print("| op type | ms | share of kernel time |")
    print("|---|---:|---:|")
    for op, micros in per_op.most_common(12):
        print(f"| {op} | {micros / 1e3:.1f} | {micros / kernels:.0%} |")


def prepare(genai_python: str | None, threads: int) -> None:
    """Write the Llama folder and (if its environment exists) the onnxruntime-genai folder."""
    from aigc.plugins.text_transformer.convert import save_llama_folder
    from aigc.plugins.text_transformer.export import load_torch_decoder
    from aigc.plugins.text_transformer.generator import load_model_config

    eos = int(load_model_config(PLUGIN_DIR)["eos_token_id"])
    save_llama_folder(load_torch_decoder(PLUGIN_DIR), PLUGIN_DIR / "tokenizer.json", eos, WORK / "llama")
    if not genai_python:
        return
    subprocess.run(
        [
            genai_python,
            "-m",
            "onnxruntime_genai.models.builder",
            "-i",
            str(WORK / "llama"),
            "-o",
            str(WORK / "genai"),
            "-p",
            "fp32",
            "-e",
            "cpu",
        ],
        check=True,
        capture_output=True,
    )
    config_path = WORK / "genai" / "genai_config.json"
    config = json.loads(config_path.read_text())
    options = config["model"]["decoder"]["session_options"]
    options["intra_op_num_threads"] = threads
    options["inter_op_num_threads"] = 1
    config_path.write_text(json.dumps(config, indent=4))


def run_contender(name: str, batch: int, args: argparse.Namespace) -> dict[str, Any] | None:
    python = args.genai_python if name == "onnxruntime-genai" else sys.executable
    if python is None:
        return None
    command = [
        python,
        __file__,
        "--worker",
        name,
        "--batch",
        str(batch),
        "--threads",
        str(args.threads),
        "--prompt",
        str(args.prompt),
        "--new",
        str(args.new),
        "--repeats",
        str(args.repeats),
    ]
    if args.profile:
        command.append("--profile")
    env = {**os.environ, "AIGC_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        print(f"{name} at batch {batch} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--prompt", type=int, default=16, help="prompt tokens per row")
    parser.add_argument("--new", type=int, default=128, help="new tokens per row")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=CONTENDERS)
    parser.add_argument("--genai-python", default=None, help="python of the onnxruntime-genai environment")
    parser.add_argument("--profile", action="store_true", help="split aigc's time: graph runs vs the rest")
    parser.add_argument(
        "--op-profile", type=Path, default=None, help="ONNX file: time per op type, then exit"
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    if args.op_profile:
        WORK.mkdir(parents=True, exist_ok=True)
        for batch in args.batches:
            op_profile(batch, args.prompt, args.new, args.threads, args.op_profile)
        return

    if args.genai_python is None and Path("/tmp/genai-venv/bin/python").exists():
        args.genai_python = "/tmp/genai-venv/bin/python"
    needs_genai = ("onnxruntime-genai", "aigc loop, genai graph")
    contenders = [c for c in args.contenders if c not in needs_genai or args.genai_python]
    prepare(args.genai_python if any(c in contenders for c in needs_genai) else None, args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"threads {args.threads}; "
        f"prompt {args.prompt} tokens, {args.new} new tokens per row, greedy, median of {args.repeats}\n"
    )
    print("| batch | contender | tokens/s | vs torch eager | same tokens as aigc |")
    print("|---:|---|---:|---:|---|")
    for batch in args.batches:
        results = {name: run_contender(name, batch, args) for name in contenders}
        base = results.get("torch eager")
        reference = results.get("aigc")
        for name, result in results.items():
            if result is None:
                print(f"| {batch} | {name} | failed | | |")
                continue
            rate = batch * args.new / result["seconds"]
            ratio = f"{base['seconds'] / result['seconds']:.2f}x" if base else ""
            same = "yes" if reference and result["tokens"] == reference["tokens"] else "no"
            print(f"| {batch} | {name} | {rate:,.0f} | {ratio} | {same} |", flush=True)
            if name == "aigc" and "graph_seconds" in result:
                share = result["graph_seconds"] / result["seconds"]
                split = f"graph runs {share:.0%} of the time, Python loop + sampling {1 - share:.0%}"
                print(f"|  | aigc: {split} | | | |")


if __name__ == "__main__":
    main()
