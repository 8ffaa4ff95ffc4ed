"""Content-addressed blob store: bytes are filed under their sha256, on any fsspec filesystem.

A blob lives at ``<root>/ab/cdef…`` (the hash's first two hex digits name the folder, the rest
the file), so no folder grows past 256 entries per level and equal bytes are stored once.
Writes never expose a partial file: local files are written to a temporary name in the same
folder, flushed and fsynced, then renamed over the final name (atomic on POSIX); other
filesystems write the temporary name and move it. Reads re-hash the bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from aigc.core.errors import BlobIntegrityError, NotFoundError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REST_OF_HASH = re.compile(r"^[0-9a-f]{62}$")
_FANOUT = re.compile(r"^[0-9a-f]{2}$")
_TEMP_PREFIX = ".tmp-"


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Blobs under ``root_url``: a local path or any fsspec URL (``s3://bucket/blobs``, ``memory://``)."""

    def __init__(self, root_url: str | Path) -> None:
        self.fs, root = fsspec.core.url_to_fs(str(root_url))
        self.root = root.rstrip("/") or "/"
        self._local = isinstance(self.fs, LocalFileSystem)
        if self._local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"BlobStore({self.uri_of_root()!r})"

    def uri_of_root(self) -> str:
        """The store's root folder, as ``uri`` writes it."""
        return self.root if self._local else str(self.fs.unstrip_protocol(self.root))

    def path(self, sha256: str) -> str:
        """Where the blob ``sha256`` is (or would be) stored, as a path on the store's filesystem."""
        _check_hash(sha256)
        return f"{self.root}/{sha256[:2]}/{sha256[2:]}"

    def uri(self, sha256: str) -> str:
        """Where to find blob ``sha256`` from outside: a plain path for a local store (so that
        people and tools can open it), the full URL on other filesystems (``s3://…``)."""
        path = self.path(sha256)
        return path if self._local else str(self.fs.unstrip_protocol(path))

    def exists(self, sha256: str) -> bool:
        """Whether the blob ``sha256`` is stored."""
        return bool(self.fs.isfile(self.path(sha256)))

    def put(self, data: bytes) -> tuple[str, str]:
        """Store ``data`` and return ``(sha256, uri)``; storing the same bytes again writes nothing.

        A file of the wrong size under the hash (a torn or truncated earlier write) is replaced.
        """
        sha256 = sha256_hex(data)
        path = self.path(sha256)
        if not self._stored_with_size(path, len(data)):
            if self._local:
                _write_local_atomically(Path(path), data)
            else:
                self._write_remote(path, data)
        elif self._local:
            os.utime(path)  # freshly needed again: the garbage collector spares young blobs
        return sha256, self.uri(sha256)

    def get(self, sha256: str) -> bytes:
        """The bytes of blob ``sha256``, re-hashed: ``BlobIntegrityError`` if they do not match.

        Raises ``NotFoundError`` when no blob is stored under the hash.
        """
        path = self.path(sha256)
        try:
            with self.fs.open(path, "rb") as handle:
                data: bytes = handle.read()
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} not found at {self.uri(sha256)}") from None
        actual = sha256_hex(data)
        if actual != sha256:
            raise BlobIntegrityError(
                f"blob {self.uri(sha256)} should hash to {sha256} but its {len(data)} bytes hash to "
                f"{actual}: the file was modified or corrupted"
            )
        return data

    def age_s(self, sha256: str) -> float | None:
        """Seconds since the blob was last written, or None if the filesystem cannot tell."""
        return self._age_of(self.path(sha256))

    def collect_partial_writes(self, min_age_s: float, *, dry_run: bool = False) -> list[str]:
        """Delete the temporary files of writes that never finished (a crash between creating and
        renaming one) last written ``min_age_s`` or more ago; younger ones may be writes in
        progress. Returns their paths (or, with ``dry_run``, those that would be deleted)."""
        collected = []
        for folder in sorted(self._list_names(self.root)):
            if not _FANOUT.match(folder):
                continue
            for name in sorted(self._list_names(f"{self.root}/{folder}")):
                path = f"{self.root}/{folder}/{name}"
                age = self._age_of(path) if name.startswith(_TEMP_PREFIX) else None
                if age is None or age < min_age_s:
                    continue
                if not dry_run:
                    with contextlib.suppress(FileNotFoundError):
                        self.fs.rm_file(path)
                collected.append(path)
        return collected

    def _age_of(self, path: str) -> float | None:
        try:
            modified = self.fs.modified(path)
        except (NotImplementedError, FileNotFoundError):
            return None
        if not isinstance(modified, datetime):
            return None
        modified = modified if modified.tzinfo else modified.astimezone()
        return (datetime.now(UTC) - modified).total_seconds()

    def delete(self, sha256: str) -> None:
        """Remove blob ``sha256`` (nothing happens if it is not stored)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.path(sha256))

    def iter_hashes(self) -> Iterator[str]:
        """Every stored blob's sha256 (temporary files of unfinished writes are skipped)."""
        for folder in sorted(self._list_names(self.root)):
            if not _FANOUT.match(folder):
                continue
            for name in sorted(self._list_names(f"{self.root}/{folder}")):
                if _REST_OF_HASH.match(name):
                    yield folder + name

    def _stored_with_size(self, path: str, size: int) -> bool:
        try:
            return bool(self.fs.size(path) == size)
        except FileNotFoundError:
            return False

    def _write_remote(self, path: str, data: bytes) -> None:
        folder, name = path.rsplit("/", 1)
        temp = f"{folder}/{_TEMP_PREFIX}{name}-{secrets.token_hex(8)}"
        self.fs.makedirs(folder, exist_ok=True)
        self.fs.pipe_file(temp, data)
        self.fs.mv(temp, path)

    def _list_names(self, folder: str) -> list[str]:
        if self._local:
            try:
                return os.listdir(folder)
            except FileNotFoundError:
                return []
        try:
            entries = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        return [str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in entries]


def _check_hash(sha256: str) -> None:
    # The hash becomes a path: anything but 64 lowercase hex digits could climb out of the root.
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ValueError(f"sha256 must be 64 lowercase hex digits, got {sha256!r}")


def _write_local_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{_TEMP_PREFIX}{path.name}-{secrets.token_hex(8)}")
    try:
        with temp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
