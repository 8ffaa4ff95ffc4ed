"""The real digits that FID, KID and diversity compare against, shipped with the plugin.

``reference_counts.npy`` and ``reference_labels.npy`` hold the held-out split of
``aigc.plugins.lib.datasets.digits`` (360 digits the generators never trained on) as the original
0-16 pixel counts (``uint8 [N, 8, 8]``) and labels (``int64 [N]``), so serving needs neither
scikit-learn nor a download. Both are listed with their sha256 in this folder's
``manifest.json`` and checked before every load; ``.npy`` files are byte-for-byte reproducible.
Rebuild them with ``python -m aigc.plugins.image_metrics.reference`` (needs the ``train`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aigc.core.sdk import load_manifest, verify_file

MODEL_DIR = Path(__file__).resolve().parent
COUNTS_FILE = "reference_counts.npy"
LABELS_FILE = "reference_labels.npy"
NAME = "image-metrics-reference"
VERSION = "1.0.0"
PIXEL_LEVELS = 16  # the digits' pixels are counts 0..16


@dataclass(frozen=True)
class ReferenceDigits:
    """Real digits: images ``[N, 8, 8]`` float32 in [0, 1] and labels ``[N]`` int64."""

    images: np.ndarray
    labels: np.ndarray


def load_reference(folder: Path = MODEL_DIR) -> ReferenceDigits:
    """The reference digits after checking both files against the manifest's sha256."""
    manifest = load_manifest(folder)
    for file in (COUNTS_FILE, LABELS_FILE):
        verify_file(folder, file, manifest)
    counts = np.load(folder / COUNTS_FILE, allow_pickle=False)
    labels = np.load(folder / LABELS_FILE, allow_pickle=False)
    return ReferenceDigits((counts / PIXEL_LEVELS).astype(np.float32), labels.astype(np.int64))


def write_reference(folder: Path = MODEL_DIR) -> None:
    """Write the reference files from the held-out split and list them in ``manifest.json``."""
    from aigc.core.sdk import write_manifest
    from aigc.plugins.lib.datasets.digits import DATA_SOURCE, load_digits_split

    split = load_digits_split()
    counts = np.rint(split.held_out_images * PIXEL_LEVELS).astype(np.uint8)
    np.save(folder / COUNTS_FILE, counts, allow_pickle=False)
    np.save(folder / LABELS_FILE, split.held_out_labels.astype(np.int64), allow_pickle=False)
    write_manifest(
        folder,
        NAME,
        VERSION,
        [COUNTS_FILE, LABELS_FILE],
        training={
            "command": "python -m aigc.plugins.image_metrics.reference",
            "data": f"held-out part of {DATA_SOURCE}",
            "images": len(counts),
        },
    )


if __name__ == "__main__":
    write_reference()
