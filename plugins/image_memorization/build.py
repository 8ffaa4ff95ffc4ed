"""Build the training-image index: ``python -m aigc.plugins.image_memorization.build``.

Reads the prepared emoji set (``python -m aigc.plugins.lib.datasets.emoji`` first), keeps the train
part ``image-text-diffusion`` was trained on, reduces each image to 16x16 RGB with a box filter and
writes ``index.npz`` and ``manifest.json`` (sha256, data source) into the plugin folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from aigc.core.sdk import decode_png, encode_png, write_manifest
from aigc.plugins.image_memorization import INDEX_DIR, VERSION
from aigc.plugins.image_memorization.index import FEATURE_SIZE, INDEX_FILE, TrainingImageIndex
from aigc.plugins.lib.datasets.emoji import DATA_SOURCE, DEFAULT_CACHE, load_emoji


def reduce(images: np.ndarray) -> np.ndarray:
    """``[N, 32, 32, 3]`` uint8 -> ``[N, 16, 16, 3]`` uint8, through the evaluator's own PNG reduction."""
    size = (FEATURE_SIZE, FEATURE_SIZE)
    reduced = np.stack([decode_png(encode_png(image), size, rgb=True) for image in images])
    return np.round(reduced * 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder of the prepared emoji set")
    parser.add_argument("--out", type=Path, default=INDEX_DIR)
    args = parser.parse_args()
    train = load_emoji(args.cache).part(held_out=False)
    index = TrainingImageIndex(reduce(train.images), train.captions, train.files)
    index.save(args.out / INDEX_FILE)
    write_manifest(
        args.out,
        "image-memorization",
        VERSION,
        [INDEX_FILE],
        training={
            "command": " ".join(["python -m aigc.plugins.image_memorization.build", *sys.argv[1:]]),
            "data": DATA_SOURCE + "; train part only",
            "images": len(index.pixels),
            "features": f"{FEATURE_SIZE}x{FEATURE_SIZE} RGB, box filter, uint8",
        },
    )
    print(f"{args.out / INDEX_FILE}: {len(index.pixels)} training images")


if __name__ == "__main__":
    main()
