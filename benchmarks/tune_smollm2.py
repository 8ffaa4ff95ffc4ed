"""The feedback loop's tuning step on the real chat model: SmolLM2-135M-Instruct fine-tuned with
``aigc tune`` on a few hundred questions, then judged against its parent on held-out ones.

    python benchmarks/tune_smollm2.py [--data-dir build/tune-smollm2] [--method lora] [--epochs 2]

The examples are ``aigc.plugins.lib.datasets.countries`` (npm ``countries-list``: "What is the
capital of NAME?", "Which continent is NAME in?", with one-sentence replies): 399 to learn from, and
100 about 50 other countries held out. The script installs SmolLM2 in the data folder if missing
(``aigc models install smollm2``), registers it as ``smollm2-chat``, then runs, as a user would:

    aigc tune train.jsonl --model smollm2-chat --method M --epochs E --batch-size B --lr LR --seed S
    aigc compare held-out.jsonl -t onnx-causal-lm:smollm2-chat -t onnx-causal-lm:smollm2-chat@VERSION \\
        -o temperature=0 -o max_new_tokens=24 -e text-safety

Prints Markdown: the tune command's wall time, CPU time and peak memory, the seconds of each of its
stages, and for both models the share of held-out replies that hold the right capital or continent,
with a few replies side by side. Needs the ``train`` and ``chat`` extras and the ``npm`` command.
Running it again tunes nothing (the version exists) and so reports no tune figures: use a new
``--data-dir`` or ``--seed`` to measure again.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MODEL = "smollm2-chat"


def aigc(*arguments: str) -> str:
    """Run ``aigc ARGUMENTS`` (this interpreter's) and return its standard output; exit if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "aigc.core.cli", *arguments], stdout=subprocess.PIPE, text=True
    )
    if done.returncode:
        sys.exit(f"aigc {' '.join(arguments)} failed with exit code {done.returncode}")
    return done.stdout


def measured(*arguments: str) -> tuple[str, dict[str, float]]:
    """``aigc(*arguments)`` and its wall seconds, CPU seconds (user + system) and peak memory in GB
    (the largest of this script's finished children: the tune command is by far the largest)."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    output = aigc(*arguments)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return output, {"wall_s": wall, "cpu_s": cpu, "peak_gb": after.ru_maxrss / 2**20}


def register(data_dir: Path) -> None:
    """Install SmolLM2 (if missing) and register its quantized variant as ``MODEL`` (if not yet)."""
    from aigc.core.config import Settings
    from aigc.core.model_install import installables
    from aigc.core.registered_models import load_registered

    installables()["smollm2"].install(data_dir, ["quantized"])
    if MODEL not in load_registered(Settings.from_env().resolved_models_file):
        aigc("models", "add", str(data_dir / "models" / "smollm2" / "quantized"), "--name", MODEL)


def correct(reply: str, answer: str) -> bool:
    """Whether ``reply`` holds the expected ``answer`` (case ignored)."""
    return answer.casefold() in reply.casefold()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path("build/tune-smollm2"), help="AIGC_HOME for the run"
    )
    parser.add_argument(
        "--cache", type=Path, default=Path("build/countries"), help="folder for the npm archive"
    )
    parser.add_argument("--method", choices=("lora", "full"), default="lora")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ["AIGC_HOME"] = str(args.data_dir.resolve())
    from aigc.plugins.lib.datasets.countries import DATA_SOURCE, write

    train, held_out = write(args.data_dir / "dataset", args.cache)
    register(args.data_dir)
    settings = {
        "--method": args.method,
        "--epochs": args.epochs,
        "--batch-size": args.batch_size,
        "--lr": args.lr,
        "--seed": args.seed,
    }
    flags = [str(part) for flag in settings.items() for part in flag]
    output, usage = measured("tune", str(train), "--model", MODEL, *flags, "--json")
    version = json.loads(output)
    reference = f"{MODEL}@{version['version']}"
    output, compare_usage = measured(
        "compare",
        str(held_out),
        "-t",
        f"onnx-causal-lm:{MODEL}",
        "-t",
        f"onnx-causal-lm:{reference}",
        "-o",
        "temperature=0",
        "-o",
        "max_new_tokens=24",
        "-e",
        "text-safety",
        "--json",
    )
    report_markdown(args, DATA_SOURCE, train, version, usage, json.loads(output), compare_usage, held_out)


def report_markdown(
    args: argparse.Namespace,
    source: str,
    train: Path,
    version: dict[str, Any],
    usage: dict[str, float],
    report: dict[str, Any],
    compare_usage: dict[str, float],
    held_out: Path,
) -> None:
    """Print the run's figures as Markdown tables."""
    questions = [json.loads(line) for line in held_out.read_text().splitlines()]
    examples = sum(1 for _ in train.open())
    print(f"data: {source}\n")
    hyperparameters = version["hyperparameters"]
    method = f"lora rank {hyperparameters['lora_rank']}" if hyperparameters["method"] == "lora" else "full"
    print(
        f"`aigc tune`: {examples} examples, {method}, "
        f"{args.epochs} epochs, batch {args.batch_size}, lr {args.lr}, seed {args.seed}, "
        f"{'created' if version['created'] else 'already there: no tune figures'}\n"
    )
    print("| figure | value |\n|---|---|")
    print(f"| wall time | {usage['wall_s']:.0f} s |")
    print(f"| CPU time (user + system) | {usage['cpu_s']:.0f} s |")
    print(f"| peak memory | {usage['peak_gb']:.1f} GB |")
    folder = Path(version["path"])
    sizes = ", ".join(
        f"{f.name} {f.stat().st_size / 1e6:.0f} MB"
        for f in sorted(folder.iterdir())
        if f.stat().st_size > 1e7
    )
    print(f"| version folder ({hyperparameters['variant']}) | {sizes} |")
    for stage, seconds in version["seconds"].items():
        print(f"| stage: {stage} | {seconds:.1f} s |")
    print(f"| `aigc compare` ({len(questions)} prompts x 2 models) | {compare_usage['wall_s']:.0f} s |\n")
    rows = report["matrix"]
    print("| held-out questions | " + " | ".join(report["targets"]) + " |\n|---|---|---|")
    for kind in ("capital", "continent"):
        chosen = [(q, row) for q, row in zip(questions, rows, strict=True) if q["kind"] == kind]
        shares = [
            sum(correct(row["cells"][column]["text"] or "", q["answer"]) for q, row in chosen) / len(chosen)
            for column in range(2)
        ]
        print(f"| {kind} right ({len(chosen)}) | " + " | ".join(f"{share:.0%}" for share in shares) + " |")
    print("\n| question | " + " | ".join(report["targets"]) + " |\n|---|---|---|")
    for question, row in list(zip(questions, rows, strict=True))[:6]:
        texts = [json.dumps((cell["text"] or "").strip()) for cell in row["cells"]]
        print(f"| {question['messages'][0]['content']} | " + " | ".join(texts) + " |")


if __name__ == "__main__":
    main()
