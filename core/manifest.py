"""Model manifests: the sha256, size and signature of every file a plugin ships.

A manifest (``manifest.json`` beside the model files) is written by the export step and checked
by the runtime layer before any file is loaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aigc.core.errors import ModelIntegrityError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class TensorSpec(BaseModel):
    """Name, element type and shape (ints, or names for dynamic dimensions) of a graph input or output."""

    name: str
    dtype: str
    shape: list[int | str]


class ModelFile(BaseModel):
    """One file of a model: its checksum and, for ONNX graphs, opset and signature."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    opset: int | None = None
    inputs: list[TensorSpec] = Field(default_factory=list)
    outputs: list[TensorSpec] = Field(default_factory=list)


class Manifest(BaseModel):
    """What a model folder contains and how it was made."""

    name: str
    version: str
    files: dict[str, ModelFile]
    training: dict[str, Any] = Field(default_factory=dict)

    @field_validator("files")
    @classmethod
    def _paths_stay_inside(cls, files: dict[str, ModelFile]) -> dict[str, ModelFile]:
        for name in files:
            check_relative_path(name)
        return files

    def files_sha256(self) -> str:
        """One sha256 over every file: of the lines ``<file sha256>  <relative path>`` (as
        ``sha256sum`` prints them), sorted by path."""
        lines = "".join(f"{entry.sha256}  {name}\n" for name, entry in sorted(self.files.items()))
        return hashlib.sha256(lines.encode()).hexdigest()

    def write(self, folder: Path) -> Path:
        """Write ``manifest.json`` into ``folder`` (stable key order, trailing newline)."""
        path = folder / MANIFEST_NAME
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
        return path


def check_relative_path(name: str) -> None:
    """Refuse a file name that is absolute or climbs out of its model folder."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name or not pure.parts:
        raise ModelIntegrityError(f"model file path {name!r} escapes its model folder")


def load_manifest(folder: Path) -> Manifest:
    """Read and validate ``folder/manifest.json``."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise ModelIntegrityError(f"no {MANIFEST_NAME} in {folder}")
    return Manifest.model_validate_json(path.read_text())


def verify_file(folder: Path, name: str, manifest: Manifest) -> str:
    """Check one file against the manifest and return its sha256; raise ``ModelIntegrityError`` if not."""
    check_relative_path(name)
    entry = manifest.files.get(name)
    if entry is None:
        raise ModelIntegrityError(f"{name} is not listed in {folder / MANIFEST_NAME}")
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ModelIntegrityError(f"{name} resolves outside {folder}")
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing")
    actual = sha256_file(path)
    if actual != entry.sha256:
        raise ModelIntegrityError(
            f"{path} has sha256 {actual}, but the manifest records {entry.sha256}: "
            "the file was modified or corrupted; reinstall the plugin or re-export the model "
            "(a model registered by path: check the folder, then register it again)"
        )
    return actual


def verify_manifest(folder: Path, manifest: Manifest | None = None) -> dict[str, str | None]:
    """Check every file of a model folder against its ``manifest.json`` (or ``manifest``):
    ``{file: None if intact else problem}``."""
    manifest = manifest or load_manifest(folder)
    problems: dict[str, str | None] = {}
    for name in manifest.files:
        try:
            verify_file(folder, name, manifest)
            problems[name] = None
        except ModelIntegrityError as error:
            problems[name] = str(error)
    return problems
