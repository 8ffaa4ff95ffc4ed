"""Google's emoji images with captions, prepared offline into one seeded train/held-out file.

Source: the npm package ``emoji-datasource-google@16.0.0`` (``emoji.json``: data MIT, Cal
Henderson; images: Google Noto Emoji, Apache-2.0), fetched once with ``npm pack`` into a cache
folder and never committed. Each of its 3,786 64x64 RGBA PNGs under ``img/google/64/`` (1,911
emoji and 1,875 skin-tone variants) is composited on white and downscaled (area average) to
32x32 RGB. The caption is the emoji's lower-cased name (``"red apple"``); a skin-tone variant
adds its tones (``"waving hand, medium skin tone"``). Provenance per image: file, category,
subcategory.

The held-out part is ``HELD_OUT_FRACTION`` of the emoji, drawn per category with ``SPLIT_SEED``;
an emoji's skin-tone variants go with it, so no held-out caption has a near-twin in training.

    python -m aigc.plugins.lib.datasets.emoji [--cache build/emoji]

writes ``emoji32.npz`` in the cache folder (running ``npm pack`` there first if the archive is
missing). Training time only: Pillow is in the ``train`` extra.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigc.plugins.lib.datasets.npm import fetch_archive, read_member

PACKAGE = "emoji-datasource-google@16.0.0"
ARCHIVE = "emoji-datasource-google-16.0.0.tgz"
PREPARED = "emoji32.npz"
DEFAULT_CACHE = Path("build") / "emoji"
IMAGE_SIZE = 32
SPLIT_SEED = 20261201
HELD_OUT_FRACTION = 0.1
SKIN_TONES = {
    "1F3FB": "light skin tone",
    "1F3FC": "medium-light skin tone",
    "1F3FD": "medium skin tone",
    "1F3FE": "medium-dark skin tone",
    "1F3FF": "dark skin tone",
}
DATA_SOURCE = (
    f"npm {PACKAGE}: 3,786 Google Noto emoji PNGs 64x64 (images Apache-2.0, emoji.json MIT), "
    f"composited on white, 32x32 RGB, captions from emoji names; {HELD_OUT_FRACTION:.0%} of emoji "
    f"(with their skin-tone variants) held out per category, seed {SPLIT_SEED} "
    "(aigc.plugins.lib.datasets.emoji)"
)


@dataclass(frozen=True)
class EmojiSet:
    """Images ``(N, 32, 32, 3)`` uint8 and per-image caption, category, subcategory, file and part."""

    images: np.ndarray
    captions: np.ndarray
    categories: np.ndarray
    subcategories: np.ndarray
    files: np.ndarray
    held_out: np.ndarray

    def part(self, held_out: bool) -> EmojiSet:
        """The train (``False``) or held-out (``True``) rows."""
        rows = self.held_out == held_out
        return EmojiSet(*(np.asarray(getattr(self, name))[rows] for name in self.__dataclass_fields__))

    @property
    def category_names(self) -> list[str]:
        """All categories, sorted: the class order of the category classifier."""
        return sorted(set(self.categories.tolist()))


def tone_caption(name: str, variation: str) -> str:
    """``"waving hand, medium skin tone"`` from the base name and a variation key like ``1F3FD``."""
    return f"{name}, " + " and ".join(SKIN_TONES[code] for code in variation.split("-"))


def entries(catalogue: list[dict[str, Any]]) -> list[tuple[int, str, str, str, str]]:
    """``(emoji index, caption, category, subcategory, image file)`` for every Google image."""
    rows = []
    for index, emoji in enumerate(catalogue):
        name = str(emoji["name"] or emoji["short_names"][0].replace("_", " ")).lower()
        category, subcategory = str(emoji["category"]), str(emoji["subcategory"])
        if emoji.get("has_img_google"):
            rows.append((index, name, category, subcategory, str(emoji["image"])))
        variations: dict[str, dict[str, Any]] = emoji.get("skin_variations") or {}
        for key, variation in sorted(variations.items()):
            if variation.get("has_img_google"):
                rows.append((index, tone_caption(name, key), category, subcategory, str(variation["image"])))
    return rows


def held_out_emoji(categories: dict[int, str], seed: int, fraction: float) -> set[int]:
    """Emoji indices held out: ``round(fraction * n)`` per category (at least 1), seeded."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for category in sorted(set(categories.values())):
        members = sorted(index for index, value in categories.items() if value == category)
        count = max(1, round(fraction * len(members)))
        chosen.update(int(i) for i in rng.choice(members, size=count, replace=False))
    return chosen


def to_rgb32(png: bytes) -> np.ndarray:
    """A 64x64 RGBA PNG composited on white and area-downscaled to ``(32, 32, 3)`` uint8."""
    from PIL import Image

    rgba = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    return np.asarray(rgb.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX), dtype=np.uint8)


def prepare(cache: Path = DEFAULT_CACHE, seed: int = SPLIT_SEED, fraction: float = HELD_OUT_FRACTION) -> Path:
    """Read the archive, build images, captions and the split; write ``cache/emoji32.npz``."""
    with tarfile.open(fetch_archive(cache, PACKAGE, ARCHIVE)) as archive:
        catalogue = json.loads(read_member(archive, "emoji.json"))
        rows = entries(catalogue)
        images = np.stack([to_rgb32(read_member(archive, f"img/google/64/{row[4]}")) for row in rows])
    held = held_out_emoji({row[0]: row[2] for row in rows}, seed, fraction)
    path = cache / PREPARED
    np.savez_compressed(
        path,
        images=images,
        captions=np.array([row[1] for row in rows]),
        categories=np.array([row[2] for row in rows]),
        subcategories=np.array([row[3] for row in rows]),
        files=np.array([f"img/google/64/{row[4]}" for row in rows]),
        held_out=np.array([row[0] in held for row in rows]),
    )
    return path


def load_emoji(cache: Path = DEFAULT_CACHE) -> EmojiSet:
    """The prepared set from ``cache/emoji32.npz`` (run this module first)."""
    path = cache / PREPARED
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run python -m aigc.plugins.lib.datasets.emoji --cache {cache}"
        )
    with np.load(path) as data:
        return EmojiSet(**{name: data[name] for name in EmojiSet.__dataclass_fields__})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="folder for the archive and emoji32.npz"
    )
    args = parser.parse_args()
    path = prepare(args.cache)
    data = load_emoji(args.cache)
    print(f"{path}: {len(data.images)} images, {int(data.held_out.sum())} held out")


if __name__ == "__main__":
    main()
