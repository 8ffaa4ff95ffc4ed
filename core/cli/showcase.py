"""Copies of demo outputs under readable names, and a contact sheet per image generator."""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from aigc.core.schemas import GenerationResult

if TYPE_CHECKING:
    from aigc.storage.store import Store

SHEET_GAP = 4
EXTENSIONS = {
    "text/plain": ".txt",
    "text/x-note-names": ".txt",
    "audio/midi": ".mid",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/L16": ".pcm",
    "image/png": ".png",
}


def extension(media_type: str) -> str:
    return EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ".bin"


def contact_sheet(rows: Sequence[Sequence[bytes]]) -> Image.Image:
    """A grid of PNGs, one row per sequence, on a mid-grey background."""
    images = [[Image.open(io.BytesIO(data)).convert("RGB") for data in row] for row in rows]
    width = max(img.width for row in images for img in row)
    height = max(img.height for row in images for img in row)
    columns = max(len(row) for row in images)
    sheet = Image.new(
        "RGB",
        (columns * (width + SHEET_GAP) + SHEET_GAP, len(images) * (height + SHEET_GAP) + SHEET_GAP),
        (128, 128, 128),
    )
    for r, row in enumerate(images):
        for c, img in enumerate(row):
            sheet.paste(img, (SHEET_GAP + c * (width + SHEET_GAP), SHEET_GAP + r * (height + SHEET_GAP)))
    return sheet


def write_showcase(
    store: Store, generator: str, results: Sequence[GenerationResult], folder: Path
) -> list[Path]:
    """Write every artifact of ``results`` to ``folder/generator`` (``<generation>-<status>.<ext>``),
    plus ``sheet.png`` (one row per request) when there are images."""
    target = folder / generator
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    sheet_rows: list[list[bytes]] = []
    for result in results:
        row: list[bytes] = []
        for generation in result.generations:
            for artifact in generation.artifacts:
                data = store.read_artifact(artifact.id)
                suffix = f"-{artifact.index}" if len(generation.artifacts) > 1 else ""
                path = (
                    target
                    / f"{generation.id:06d}{suffix}-{generation.status}{extension(artifact.media_type)}"
                )
                path.write_bytes(data)
                written.append(path)
                if artifact.media_type == "image/png":
                    row.append(data)
        if row:
            sheet_rows.append(row)
    if sheet_rows:
        sheet = target / "sheet.png"
        contact_sheet(sheet_rows).save(sheet)
        written.append(sheet)
    return written
