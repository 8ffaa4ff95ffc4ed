"""The seeded CPU training loop for ``Decoder`` models (torch; training only).

AdamW (no weight decay on norms), linear warm-up then cosine decay, gradient clipping at 1,
bfloat16 autocast on CPU (~3x faster than float32 here), a Rich progress bar, the held-out loss
every ``eval_every`` steps, a partial checkpoint at each evaluation and an optional wall-clock
budget. Targets equal to ``IGNORE`` (padding) are not scored.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig

CHECKPOINT_FILE = "checkpoint.pt"
IGNORE = -100  # F.cross_entropy's default ignore_index

Batch = tuple[torch.Tensor, torch.Tensor]  # inputs (batch, seq) and targets (batch, seq), int64


@dataclass(frozen=True)
class Schedule:
    """Optimiser settings and how long to train."""

    steps: int
    lr: float
    warmup: int
    weight_decay: float
    eval_every: int
    max_minutes: float | None = None
    bf16: bool = True


@dataclass
class FitResult:
    """What the loop did: steps run, whether the time budget stopped it, losses over time."""

    steps: int = 0
    stopped_early: bool = False
    final_train_loss: float = float("nan")
    train_seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def add_training_arguments(
    parser: argparse.ArgumentParser, seed: int, threads: int, max_minutes: float, sizes: DecoderConfig
) -> None:
    """The command-line options every decoder ``train.py`` shares, with that plugin's defaults."""
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--threads", type=int, default=threads)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument(
        "--max-minutes", type=float, default=max_minutes, help="stop early after this many minutes"
    )
    parser.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in float32")
    parser.add_argument("--d-model", type=int, default=sizes.d_model)
    parser.add_argument("--n-layers", type=int, default=sizes.n_layers)
    parser.add_argument("--n-heads", type=int, default=sizes.n_heads)
    parser.add_argument("--n-kv-heads", type=int, default=sizes.n_kv_heads)
    parser.add_argument("--d-ff", type=int, default=sizes.d_ff)


def schedule_from_args(args: argparse.Namespace) -> Schedule:
    """The ``Schedule`` of options added by ``add_training_arguments``."""
    return Schedule(
        args.steps, args.lr, args.warmup, args.weight_decay, args.eval_every, args.max_minutes, args.bf16
    )


def model_config(args: argparse.Namespace, vocab_size: int, context_length: int) -> DecoderConfig:
    """Decoder sizes from ``add_training_arguments`` options plus the plugin's vocabulary and context."""
    return DecoderConfig(
        vocab_size=vocab_size,
        d_model=args.d_model,
        n_layers=args.n_layers,
        n_heads=args.n_heads,
        n_kv_heads=args.n_kv_heads,
        d_ff=args.d_ff,
        context_length=context_length,
    )


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak``, then cosine decay to a tenth of it at ``steps``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def token_loss(
    model: Decoder, inputs: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Next-token cross-entropy of ``model`` on one batch (``IGNORE`` targets skipped)."""
    logits, _ = model(inputs)
    return F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction=reduction
    )


@torch.no_grad()
def mean_loss(model: Decoder, held: Batch, batch_size: int = 16) -> float:
    """Mean next-token cross-entropy (nats) over the held-out rows (float32, eval mode)."""
    model.eval()
    inputs, targets = held
    total = 0.0
    for start in range(0, len(inputs), batch_size):
        rows = slice(start, start + batch_size)
        total += float(token_loss(model, inputs[rows], targets[rows], reduction="sum"))
    model.train()
    return total / int((targets != IGNORE).sum())


def save(out: Path, model: Decoder, record: dict[str, object]) -> None:
    """Write ``out/checkpoint.pt`` (config, weights, training record) atomically."""
    tmp = out / (CHECKPOINT_FILE + ".tmp")
    torch.save({"config": model.config.to_dict(), "state_dict": model.state_dict(), "training": record}, tmp)
    tmp.replace(out / CHECKPOINT_FILE)


def fit(
    model: Decoder,
    draw_batch: Callable[[], Batch],
    held: Batch,
    schedule: Schedule,
    out: Path,
    console: Console,
) -> FitResult:
    """Train ``model`` in place on batches from ``draw_batch`` (which owns its seeded generator)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": schedule.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=schedule.lr,
        betas=(0.9, 0.95),
        fused=True,  # one kernel for all parameters: the per-tensor loop cost ~15% of a step on CPU
    )
    result = FitResult()
    budget_s = schedule.max_minutes * 60 if schedule.max_minutes else math.inf
    columns = (
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f} held-out {task.fields[held]:.3f}"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console, refresh_per_second=1) as progress:
        task = progress.add_task("train", total=schedule.steps, loss=float("nan"), held=float("nan"))
        model.train()
        for step in range(schedule.steps):
            if time.perf_counter() - started > budget_s:
                result.stopped_early = True
                break
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, schedule.steps, schedule.lr, schedule.warmup)
            inputs, targets = draw_batch()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=schedule.bf16):
                loss = token_loss(model, inputs, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            result.steps = step + 1
            result.final_train_loss = float(loss.detach())
            progress.update(task, advance=1, loss=result.final_train_loss)
            if (step + 1) % schedule.eval_every == 0 or step + 1 == schedule.steps:
                held_loss = mean_loss(model, held)
                result.history.append(
                    {
                        "step": step + 1,
                        "train_loss": result.final_train_loss,
                        "held_out_loss": held_loss,
                        "seconds": round(time.perf_counter() - started, 1),
                    }
                )
                progress.update(task, held=held_loss)
                progress.console.print(
                    f"step {step + 1}: train {result.final_train_loss:.3f}, held-out {held_loss:.3f} "
                    f"(perplexity {math.exp(held_loss):.1f})"
                )
                progress.console.file.flush()  # visible at once when stdout is a log file
                save(out, model, {"history": result.history, "partial": True})
    result.train_seconds = round(time.perf_counter() - started, 1)
    return result


def start_run(args: argparse.Namespace) -> Path:
    """Seed torch, set its thread count and create the output folder ``args.out``."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    return out


def finish_run(
    model: Decoder,
    held: Batch,
    fitted: FitResult,
    args: argparse.Namespace,
    command: str,
    extra: dict[str, object],
    console: Console,
) -> dict[str, object]:
    """Measure the held-out loss, save the checkpoint with the training record and return the record.

    The record holds the command, seed, schedule, losses and history, plus the plugin's ``extra``
    entries (data source, corpus sizes...).
    """
    held_loss = mean_loss(model, held)
    record: dict[str, object] = {
        "command": command,
        "seed": args.seed,
        "threads": args.threads,
        "steps": fitted.steps,
        "planned_steps": args.steps,
        "stopped_early": fitted.stopped_early,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "bf16_autocast": args.bf16,
        "train_seconds": fitted.train_seconds,
        "final_train_loss": fitted.final_train_loss,
        "held_out_loss": held_loss,
        "held_out_perplexity": math.exp(held_loss),
        "history": fitted.history,
        "torch": torch.__version__,
        **extra,
    }
    save(args.out, model, record)
    path = args.out / CHECKPOINT_FILE
    console.print(f"held-out loss {held_loss:.3f} (perplexity {math.exp(held_loss):.2f}); wrote {path}")
    return record
