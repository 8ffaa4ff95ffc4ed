"""Compare generated chorales with held-out Bach: ``python -m aigc.plugins.music_transformer.evaluate``.

Measures the first ``--bars`` bars of every held-out chorale (``chorales.py``; the first parse
needs music21) and ``--samples`` generated chorales of the same length (seeds 0.., default
options otherwise) with ``music-metrics`` and ``music-memorization``, and prints one Markdown
table row per metric: median and interquartile range of each set.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
from rich.console import Console

from aigc.core.sdk import GeneratorInput, Note, PluginContext, read_midi
from aigc.plugins.music_memorization import INDEX_DIR
from aigc.plugins.music_memorization.index import INDEX_FILE, MelodyIndex, voice_codes
from aigc.plugins.music_metrics.evaluator import METRICS, measure
from aigc.plugins.music_transformer import build_generator
from aigc.plugins.music_transformer.chorales import prepare, split
from aigc.plugins.music_transformer.options import MAX_BARS, MusicOptions
from aigc.plugins.music_transformer.tokens import STEPS_PER_BAR, VOICES, grid_to_notes

SHARED_RUN = "longest_shared_run"


def generated_pieces(count: int, bars: int) -> list[list[Note]]:
    """Notes of ``count`` generated chorales (seeds ``0..count-1``), batched as the engine would."""
    generator = build_generator(PluginContext())
    pieces = []
    for start in range(0, count, 16):
        seeds = list(range(start, min(count, start + 16)))
        samples = generator.generate([GeneratorInput() for _ in seeds], MusicOptions(bars=bars), seeds)
        pieces += [read_midi(artifacts[0].payload)[0] for artifacts in samples]
    return pieces


def describe(pieces: Sequence[list[Note]], index: MelodyIndex) -> dict[str, np.ndarray]:
    """Each metric of every piece (plus the longest run shared with the training index)."""
    rows = [measure(notes) for notes in pieces]
    table = {metric: np.asarray([row[metric] for row in rows]) for metric in METRICS}
    runs = [
        max(index.longest_shared_run(voice_codes(notes, v)).length for v in range(len(VOICES)))
        for notes in pieces
    ]
    table[SHARED_RUN] = np.asarray(runs, dtype=np.float64)
    return table


def summary(values: np.ndarray) -> str:
    """``median [q1, q3]``."""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return f"{median:.3g} [{q1:.3g}, {q3:.3g}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--bars", type=int, default=MAX_BARS)
    args = parser.parse_args()
    console = Console()
    _, held_out = split(prepare(console=console))
    real = [grid_to_notes(c.grid[: args.bars * STEPS_PER_BAR]) for c in held_out]
    index = MelodyIndex.load(INDEX_DIR / INDEX_FILE)
    columns = describe(real, index), describe(generated_pieces(args.samples, args.bars), index)
    console.print(f"| metric | held-out Bach ({len(real)}) | generated ({args.samples}) |")
    console.print("|---|---|---|")
    for metric in (*METRICS, SHARED_RUN):
        console.print(f"| {metric} | {summary(columns[0][metric])} | {summary(columns[1][metric])} |")


if __name__ == "__main__":
    main()
