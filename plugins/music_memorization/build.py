"""Build the melodic index of the training chorales: ``python -m aigc.plugins.music_memorization.build``.

Needs ``music21`` (the ``train`` extra) for the first parse of the corpus. Writes ``index.npz`` and
``manifest.json`` (sha256, data source, split) into the plugin folder; the train split is the
one ``music-transformer`` was trained on (``aigc.plugins.music_transformer.chorales.split``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rich.console import Console

from aigc.core.sdk import write_manifest
from aigc.plugins.music_memorization import INDEX_DIR, VERSION
from aigc.plugins.music_memorization.index import INDEX_FILE, MelodyIndex, voice_codes
from aigc.plugins.music_transformer.chorales import SPLIT_SEED, Chorale, prepare, split
from aigc.plugins.music_transformer.tokens import VOICES, grid_to_notes


def build_index(chorales: list[Chorale]) -> MelodyIndex:
    """The codes of every voice of every chorale."""
    codes, chorale_ids, voices = [], [], []
    for number, chorale in enumerate(chorales):
        notes = grid_to_notes(chorale.grid)
        for voice in range(len(VOICES)):
            line = voice_codes(notes, voice)
            codes.append(line)
            chorale_ids.append(np.full(len(line), number))
            voices.append(np.full(len(line), voice))
    return MelodyIndex(
        np.concatenate(codes), np.concatenate(chorale_ids), np.concatenate(voices), [c.name for c in chorales]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=INDEX_DIR, help="gets index.npz and manifest.json")
    args = parser.parse_args()
    console = Console()
    train, held_out = split(prepare(console=console))
    index = build_index(train)
    index.save(args.folder / INDEX_FILE)
    write_manifest(
        args.folder,
        "music-memorization",
        VERSION,
        [INDEX_FILE],
        training={
            "command": " ".join(["python -m aigc.plugins.music_memorization.build", *sys.argv[1:]]),
            "data_source": "music21 corpus.chorales.Iterator, 4/4 with four parts, train split",
            "split_seed": SPLIT_SEED,
            "chorales": len(train),
            "held_out_chorales": len(held_out),
            "codes": len(index.codes),
        },
    )
    console.print(f"{args.folder / INDEX_FILE}: {len(train)} chorales, {len(index.codes):,} codes")


if __name__ == "__main__":
    main()
