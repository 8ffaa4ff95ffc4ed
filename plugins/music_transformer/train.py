"""Train the chorale decoder: ``python -m aigc.plugins.music_transformer.train``.

Steps, all seeded and CPU-only:

1. parse the chorales once (``chorales.py``; cached) and split off the held-out ~10%;
2. augment the train split by transposition: every shift of -5..+6 semitones that keeps each
   voice within the range that voice has anywhere in the untransposed train split (the key
   token moves with it);
3. train the shared decoder (``aigc.plugins.lib.decoder``) on windows of up to ``--bars`` bars that
   start on a bar line, each preceded by its key token; shorter windows are padded and the
   padding is not scored; held-out loss on the held-out chorales from their first bar;
4. write ``checkpoint.pt`` into ``--out``; ``export.py`` makes the ONNX file and manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig
from aigc.plugins.lib.decoder.training import (
    IGNORE,
    Batch,
    add_training_arguments,
    finish_run,
    fit,
    model_config,
    schedule_from_args,
    start_run,
)
from aigc.plugins.music_transformer.chorales import Chorale, prepare, split
from aigc.plugins.music_transformer.options import MAX_BARS
from aigc.plugins.music_transformer.tokens import (
    HOLD,
    STEPS_PER_BAR,
    TOKENS_PER_BAR,
    VOCAB_SIZE,
    VOICES,
    sequence,
)

DEFAULT_OUT = Path("build/music_transformer")
SEED = 7
SIZES = DecoderConfig(d_model=128, n_layers=3, n_heads=4, n_kv_heads=2, d_ff=384)
SHIFTS = range(-5, 7)


def voice_ranges(chorales: list[Chorale]) -> list[tuple[int, int]]:
    """Lowest and highest pitch of each voice over ``chorales``."""
    ranges = []
    for voice in range(len(VOICES)):
        pitches = np.concatenate([c.pitches(voice) for c in chorales])
        ranges.append((int(pitches.min()), int(pitches.max())))
    return ranges


def augment(chorales: list[Chorale]) -> list[Chorale]:
    """Each chorale in every key of ``SHIFTS`` that keeps all voices within their ``voice_ranges``."""
    ranges = voice_ranges(chorales)
    result = []
    for chorale in chorales:
        for shift in SHIFTS:
            fits = all(
                lo <= p.min() + shift and p.max() + shift <= hi
                for (lo, hi), p in zip(ranges, map(chorale.pitches, range(len(VOICES))), strict=True)
                if len(p)
            )
            if fits:
                result.append(chorale.transposed(shift))
    return result


def window(chorale: Chorale, start_bar: int, bars: int) -> np.ndarray:
    """Key token + up to ``bars`` bars of the grid from ``start_bar``."""
    grid = chorale.grid[start_bar * STEPS_PER_BAR : (start_bar + bars) * STEPS_PER_BAR]
    return sequence(chorale.key, grid)


def pad_rows(rows: list[np.ndarray], length: int) -> Batch:
    """Inputs padded with ``HOLD`` and targets with ``IGNORE`` to ``length`` positions."""
    inputs = np.full((len(rows), length), HOLD, dtype=np.int64)
    targets = np.full((len(rows), length), IGNORE, dtype=np.int64)
    for row, tokens in enumerate(rows):
        inputs[row, : len(tokens) - 1] = tokens[:-1]
        targets[row, : len(tokens) - 1] = tokens[1:]
    return torch.from_numpy(inputs), torch.from_numpy(targets)


def train(args: argparse.Namespace, command: str, console: Console) -> dict[str, object]:
    """Run the whole pipeline; returns the training record stored in the checkpoint."""
    out = start_run(args)
    train_set, held_set = split(prepare(console=console))
    augmented = augment(train_set)
    console.print(
        f"chorales: {len(train_set)} train ({len(augmented)} with transpositions), {len(held_set)} held out"
    )
    length = args.bars * TOKENS_PER_BAR
    config = model_config(args, VOCAB_SIZE, context_length=length + 1)
    model = Decoder(config)
    console.print(f"model: {model.num_parameters():,} parameters, {config}")
    rng = np.random.default_rng(args.seed)

    def draw_batch() -> Batch:
        rows = []
        for index in rng.integers(0, len(augmented), args.batch_size):
            chorale = augmented[index]
            bars = len(chorale.grid) // STEPS_PER_BAR
            rows.append(window(chorale, int(rng.integers(0, max(1, bars - args.bars) + 1)), args.bars))
        return pad_rows(rows, length)

    held = pad_rows([window(c, 0, args.bars) for c in held_set], length)
    fitted = fit(model, draw_batch, held, schedule_from_args(args), out, console)
    extra: dict[str, object] = {
        "data_source": "music21 corpus.chorales.Iterator (bundled with music21; offline), 4/4, four parts",
        "chorales": {"train": len(train_set), "train_transposed": len(augmented), "held_out": len(held_set)},
        "held_out_names": [c.name for c in held_set],
    }
    return finish_run(model, held, fitted, args, command, extra, console)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="gets checkpoint.pt")
    # One thread: on a shared 2-core machine two threads ran a step 3-5x slower than one.
    add_training_arguments(parser, SEED, threads=1, max_minutes=28, sizes=SIZES)
    parser.add_argument("--bars", type=int, default=MAX_BARS, help="longest window; sets the context")
    return parser.parse_args(argv)


def main() -> None:
    command = " ".join(["python -m aigc.plugins.music_transformer.train", *sys.argv[1:]])
    train(parse_args(), command, Console())


if __name__ == "__main__":
    main()
