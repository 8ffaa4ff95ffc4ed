"""Images per second of the image-gan generator: aigc (ONNX Runtime) versus torch eager.

    python benchmarks/gan_throughput.py [--threads 2] [--batches 1 16 64]

Each contender runs in its own subprocess with the same thread count: ``torch.set_num_threads(N)``
for torch, ORT's shared intra-op pool of ``N`` (``AIGC_THREADS``) for aigc. Each warms up, then
the contenders take turns: in each of ``ROUNDS`` rounds every contender times one repetition
(at least 50 ms of calls) per batch size, so background load on a shared machine hits them
alike. The median over rounds is reported. Contenders, all on the committed weights:

- ``torch eager``: ``Generator.forward`` on ready-made tensors (``torch.inference_mode``).
- ``aigc session``: the runtime's ONNX session on ready-made arrays (pure inference).
- ``aigc images``: the plugin's path without PNG: per-seed latents, session, pixels in [0, 1].
- ``aigc PNGs``: ``generate()`` as the engine calls it, PNG encoding at scale 8 (64x64) included.

Prints a Markdown table (images/s and the ratio to torch eager).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from timing import calls_per_repetition

CONTENDERS = ("torch eager", "aigc session", "aigc images", "aigc PNGs")
WARMUP_CALLS = 20
ROUNDS = 30
MIN_REPETITION_SECONDS = 0.05
# ORT's shared thread pool keeps spinning for ~50 ms after a run (the runtime's allow_spinning=0
# does not reach the global pool); the pause keeps that off the next contender's cores.
PAUSE_SECONDS = 0.1


def images_per_second(call: Callable[[], object], calls: int, batch: int) -> float:
    """One timed repetition."""
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return batch * calls / (time.perf_counter() - started)


def torch_calls(threads: int, batch: int) -> Callable[[], object]:
    import numpy as np
    import torch

    from aigc.plugins.image_gan.export import load_generator

    torch.set_num_threads(threads)
    model, _ = load_generator()
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.standard_normal((batch, model.config.z_dim), dtype=np.float32))
    labels = torch.from_numpy(rng.integers(0, 10, batch))

    def call() -> object:
        with torch.inference_mode():
            return model(z, labels)

    return call


def aigc_calls(contender: str, batch: int) -> Callable[[], object]:
    from aigc.core.sdk import ModelRuntime, PluginContext
    from aigc.core.specs import GeneratorInput
    from aigc.plugins.image_gan import aigc_register_generators
    from aigc.plugins.image_gan.options import GanOptions

    specs: list = []
    aigc_register_generators(register=specs.append)
    generator = specs[0].factory(PluginContext(ModelRuntime(device="cpu")))  # threads from AIGC_THREADS
    options = GanOptions(scale=8)
    seeds = list(range(batch))
    if contender == "aigc session":
        z, labels = generator.latents(options, seeds)
        return lambda: generator.session.run({"z": z, "label": labels})
    if contender == "aigc images":
        return lambda: generator.render(*generator.latents(options, seeds))
    inputs = [GeneratorInput()] * batch
    return lambda: generator.generate(inputs, options, seeds)


def worker(contender: str, threads: int, batches: list[int]) -> None:
    """Serve timing requests: read a batch size per line, answer with one repetition's images/s."""
    calls = {}
    for batch in batches:
        call = torch_calls(threads, batch) if contender == "torch eager" else aigc_calls(contender, batch)
        calls[batch] = (call, calls_per_repetition(call, MIN_REPETITION_SECONDS, WARMUP_CALLS))
    print("ready", flush=True)
    for line in sys.stdin:
        call, count = calls[int(line)]
        print(images_per_second(call, count, int(line)), flush=True)


def start_worker(contender: str, threads: int, batches: list[int]) -> subprocess.Popen[str]:
    env = {**os.environ, "AIGC_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "AIGC_DEVICE": "cpu"}
    command = [sys.executable, __file__, "--worker", contender, "--threads", str(threads)]
    command += ["--batches", *map(str, batches)]
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{contender} worker failed to start")
    return process


def measure(threads: int, batches: list[int]) -> dict[str, dict[int, float]]:
    """Median images/s per contender and batch, the contenders taking turns in every round.

    Taking turns spreads whatever else the machine is doing evenly over the contenders.
    """
    workers = {contender: start_worker(contender, threads, batches) for contender in CONTENDERS}
    rates: dict[str, dict[int, list[float]]] = {c: {b: [] for b in batches} for c in CONTENDERS}
    try:
        for _ in range(ROUNDS):
            for batch in batches:
                for contender, process in workers.items():
                    assert process.stdin is not None and process.stdout is not None
                    process.stdin.write(f"{batch}\n")
                    process.stdin.flush()
                    rates[contender][batch].append(float(process.stdout.readline()))
                    time.sleep(PAUSE_SECONDS)
    finally:
        for process in workers.values():
            if process.stdin is not None:
                process.stdin.close()
            process.wait()
    return {c: {b: statistics.median(r) for b, r in by_batch.items()} for c, by_batch in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=int(os.environ.get("AIGC_THREADS", "2")))
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.batches)
        return

    import onnxruntime
    import torch

    machine = f"{platform.machine()}, {os.cpu_count()} cores visible, {args.threads} threads"
    versions = f"Python {platform.python_version()}, torch {torch.__version__}, ORT {onnxruntime.__version__}"
    print(f"{machine}; {versions}\n")
    results = measure(args.threads, args.batches)
    header = "| contender | " + " | ".join(f"batch {b}: images/s (x torch)" for b in args.batches) + " |"
    print(header)
    print("|---|" + "---:|" * len(args.batches))
    torch_rates = results["torch eager"]
    for contender, rates in results.items():
        cells = [f"{rates[b]:,.0f} ({rates[b] / torch_rates[b]:.2f}x)" for b in args.batches]
        print(f"| {contender} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
