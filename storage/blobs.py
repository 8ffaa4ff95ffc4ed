"""Content-addressed blob store: bytes are filed under their sha256, on any fsspec filesystem.

A blob lives at ``<root>/ab/cdef…`` (the hash's first two hex digits name the folder, the rest
the file), so no folder grows past 256 entries per level and equal bytes are stored once.
Writes never expose a partial file: local files are written to a temporary name in the same
folder, made durable, then renamed over the final name (atomic on POSIX) and the rename made
durable; other filesystems write the temporary name and move it. Reads re-hash the bytes.

``put_many`` writes a batch and pays for durability once: on Linux one ``syncfs`` for the
batch's bytes and one for its renames (measured at 2-3x fewer milliseconds per blob than an
fsync per file and folder from 16 blobs on; ``benchmarks/engine_overhead.py``), elsewhere, and
for a single blob, an fsync per file and per folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
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
        return self.put_many([data])[0]

    def put_many(self, blobs: Sequence[bytes]) -> list[tuple[str, str]]:
        """Store every blob of ``blobs`` (as ``put``) and return their ``(sha256, uri)`` in order.

        When this returns, all of them are durable; the batch is made durable at once rather than
        blob by blob.
        """
        hashes = [sha256_hex(data) for data in blobs]
        missing = {}
        for sha256, data in zip(hashes, blobs, strict=True):
            path = self.path(sha256)
            if sha256 in missing:
                continue
            if not self._stored_with_size(path, len(data)):
                missing[sha256] = data
            elif self._local:
                os.utime(path)  # freshly needed again: the garbage collector spares young blobs
        if self._local:
            _write_local_atomically({Path(self.path(h)): data for h, data in missing.items()})
        else:
            for sha256, data in missing.items():
                self._write_remote(self.path(sha256), data)
        return [(sha256, self.uri(sha256)) for sha256 in hashes]

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


def _write_local_atomically(files: dict[Path, bytes]) -> None:
    """Write each file under a temporary name, make the bytes durable, rename, make the renames durable."""
    temps: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f"{_TEMP_PREFIX}{path.name}-{secrets.token_hex(8)}")
            temps[path] = temp
            with temp.open("xb") as handle:
                handle.write(data)
        _make_durable(list(temps.values()))
        for path, temp in temps.items():
            os.replace(temp, path)
    except BaseException:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # makes the renames durable; not possible (nor needed) on Windows
        _make_durable(sorted({path.parent for path in files}))


def _make_durable(paths: list[Path]) -> None:
    """fsync each path (files or folders), or one ``syncfs`` of their filesystem for several on Linux."""
    if len(paths) > 1 and _syncfs is not None:
        _sync_filesystem_of(paths[0])
        return
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _load_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        syncfs: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
        return syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def _sync_filesystem_of(path: Path) -> None:
    # Every path of a batch is under one root folder, so on one filesystem.
    assert _syncfs is not None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if _syncfs(descriptor) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"syncfs of {path.parent}: {os.strerror(error)}")
    finally:
        os.close(descriptor)
