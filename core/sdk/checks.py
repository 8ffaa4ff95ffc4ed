"""Checks every plugin makes: model files against their manifest, seeds against inputs."""

from __future__ import annotations

import json
from collections.abc import Sized
from pathlib import Path
from typing import Any

from aigc.core.manifest import load_manifest, verify_file


def checked_file(folder: Path, name: str) -> Path:
    """``folder / name`` after checking it against ``folder``'s manifest (``ModelIntegrityError`` if
    it is missing, unlisted or changed)."""
    verify_file(folder, name, load_manifest(folder))
    return folder / name


def checked_json(folder: Path, name: str) -> dict[str, Any]:
    """The JSON object in ``folder / name`` (a model config, a vocabulary) after ``checked_file``."""
    data: dict[str, Any] = json.loads(checked_file(folder, name).read_text())
    return data


def check_seeds(inputs: Sized, seeds: Sized) -> None:
    """Refuse a batch whose seeds do not pair one to one with its inputs."""
    if len(inputs) != len(seeds):
        raise ValueError(f"got {len(inputs)} inputs but {len(seeds)} seeds")
