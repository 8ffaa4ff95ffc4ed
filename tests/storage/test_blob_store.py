"""The content-addressed blob store: atomic, idempotent, verified on read, on any fsspec filesystem."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aigc.core.errors import BlobIntegrityError, NotFoundError
from aigc.storage.blobs import BlobStore


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_put_files_bytes_under_their_sha256_in_fanout_folders(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = b"hello blob"
    sha256, uri = blobs.put(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    path = tmp_path / "blobs" / sha256[:2] / sha256[2:]
    assert uri == str(path) and path.read_bytes() == data
    assert blobs.get(sha256) == data and blobs.exists(sha256)


def test_put_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    first = blobs.put(b"same bytes")
    path = Path(first[1])
    inode = path.stat().st_ino
    assert blobs.put(b"same bytes") == first
    assert path.stat().st_ino == inode  # not rewritten (only its age is refreshed, for the gc)
    assert files_under(tmp_path / "blobs") == [path]


def test_a_truncated_blob_is_replaced_by_the_next_put(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sha256, uri = blobs.put(b"complete content")
    Path(uri).write_bytes(b"compl")
    blobs.put(b"complete content")
    assert blobs.get(sha256) == b"complete content"


def test_tampered_blob_fails_verification_on_read(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sha256, uri = blobs.put(b"original")
    Path(uri).write_bytes(b"tampered")
    with pytest.raises(BlobIntegrityError, match=sha256):
        blobs.get(sha256)


def test_missing_blob_is_not_found(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    missing = "0" * 64
    assert not blobs.exists(missing)
    with pytest.raises(NotFoundError, match=missing):
        blobs.get(missing)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, ""])
def test_names_that_are_not_sha256_hex_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        BlobStore(tmp_path / "blobs").get(bad)


def test_iter_hashes_lists_stored_blobs_and_skips_unfinished_writes(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    hashes = {blobs.put(bytes([i]) * 10)[0] for i in range(5)}
    some = next(iter(hashes))
    (tmp_path / "blobs" / some[:2] / f".tmp-{some[2:]}-0123").write_bytes(b"partial")
    (tmp_path / "blobs" / "README").write_text("not a blob")
    assert set(blobs.iter_hashes()) == hashes


def test_other_fsspec_filesystems_work_the_same(tmp_path: Path) -> None:
    blobs = BlobStore(f"memory://aigc-tests/{tmp_path.name}/blobs")
    try:
        sha256, uri = blobs.put(b"in memory")
        assert uri.startswith("memory://") and uri.endswith(f"/blobs/{sha256[:2]}/{sha256[2:]}")
        assert blobs.put(b"in memory") == (sha256, uri)
        assert blobs.get(sha256) == b"in memory" and list(blobs.iter_hashes()) == [sha256]
        assert blobs.fs.ls(f"{blobs.root}/{sha256[:2]}", detail=False) == [blobs.path(sha256)]
        blobs.fs.pipe_file(blobs.path(sha256), b"changed")
        with pytest.raises(BlobIntegrityError):
            blobs.get(sha256)
    finally:
        blobs.fs.rm(blobs.root, recursive=True)
