"""Train the digit classifier on the train split: ``python -m aigc.plugins.image_class_match.train``.

Seeded and CPU-only; augmentation shifts each image by up to one pixel. The held-out split is
used once, at the end, to report accuracy (it never selects a model). Writes ``checkpoint.pt``
(weights, config and the training record that ``export.py`` copies into the manifest).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aigc.plugins.image_class_match.model import ClassifierConfig, DigitClassifier
from aigc.plugins.lib.datasets.digits import DATA_SOURCE, SPLIT_SEED, load_digits_split

PLUGIN_DIR = Path(__file__).resolve().parent
SEED = 1234


def shift_by_one_pixel(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Move each image by -1, 0 or +1 pixels along each axis, filling with background (0)."""
    padded = F.pad(images, (1, 1, 1, 1))
    offsets = torch.randint(0, 3, (images.shape[0], 2), generator=generator)
    shifted = torch.empty_like(images)
    for dy in range(3):
        for dx in range(3):
            rows = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            shifted[rows] = padded[rows, :, dy : dy + 8, dx : dx + 8]
    return shifted


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images`` classified as ``labels`` (model in eval mode)."""
    model.eval()
    with torch.no_grad():
        logits, _ = model(images)
    return float((logits.argmax(dim=1) == labels).float().mean())


def train(
    seed: int, epochs: int, batch_size: int, lr: float, out: Path, command: str, console: Console
) -> dict[str, object]:
    """Train, report held-out accuracy and write ``out/checkpoint.pt``; returns the training record."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)
    split = load_digits_split()
    train_x = torch.from_numpy(split.train_images).unsqueeze(1)
    train_y = torch.from_numpy(split.train_labels)
    held_x = torch.from_numpy(split.held_out_images).unsqueeze(1)
    held_y = torch.from_numpy(split.held_out_labels)

    config = ClassifierConfig()
    model = DigitClassifier(config)
    steps_per_epoch = -(-len(train_x) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)

    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TextColumn("{task.fields[status]}"), console=console) as progress:
        task = progress.add_task("classifier", total=epochs, status="")
        for _epoch in range(epochs):
            model.train()
            order = torch.randperm(len(train_x), generator=generator)
            total_loss = 0.0
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                logits, _ = model(shift_by_one_pixel(train_x[rows], generator))
                loss = F.cross_entropy(logits, train_y[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total_loss += loss.item() * len(rows)
            progress.update(task, advance=1, status=f"loss {total_loss / len(order):.4f}")
    seconds = time.perf_counter() - started

    metrics = {
        "train_accuracy": round(accuracy(model, train_x, train_y), 4),
        "held_out_accuracy": round(accuracy(model, held_x, held_y), 4),
        "held_out_images": len(held_x),
        "final_train_loss": round(total_loss / len(train_x), 4),
    }
    record: dict[str, object] = {
        "command": command,
        "seed": seed,
        "split_seed": SPLIT_SEED,
        "data": DATA_SOURCE,
        "hyperparameters": {
            "epochs": epochs,
            "batch_size": batch_size,
            "max_lr": lr,
            "augmentation": "shift by up to 1 px",
        },
        "torch": str(torch.__version__),
        "threads": torch.get_num_threads(),
        "train_seconds": round(seconds, 1),
        "metrics": metrics,
    }
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = {"state_dict": model.state_dict(), "config": asdict(config), "training": record}
    torch.save(checkpoint, out / "checkpoint.pt")
    console.print(
        f"held-out accuracy {metrics['held_out_accuracy']:.2%} on {len(held_x)} images "
        f"(train {metrics['train_accuracy']:.2%}) in {seconds:.0f} s -> {out / 'checkpoint.pt'}"
    )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=PLUGIN_DIR, help="folder for checkpoint.pt")
    args = parser.parse_args()
    command = " ".join(["python -m aigc.plugins.image_class_match.train", *sys.argv[1:]])
    train(args.seed, args.epochs, args.batch_size, args.lr, args.out, command, Console())


if __name__ == "__main__":
    main()
