"""``collect_orphan_blobs``: blobs no artifact refers to go, once old enough; referenced ones stay."""

from __future__ import annotations

import os
import time

from aigc.storage.store import Store
from tests.storage.factories import new_request, png_like


def make_old(store: Store, sha256: str) -> None:
    an_hour_ago = time.time() - 3700
    os.utime(store.blobs.path(sha256), (an_hour_ago, an_hour_ago))


def test_only_old_unreferenced_blobs_are_collected(store: Store) -> None:
    result = store.save(new_request(n=1))
    artifact = result.generations[0].artifacts[0]
    orphan, _ = store.blobs.put(png_like(999))  # as if a crash came before the rows were committed
    young_orphan, _ = store.blobs.put(png_like(998))
    make_old(store, orphan)
    make_old(store, artifact.sha256)

    assert store.collect_orphan_blobs(3600, dry_run=True) == [orphan]
    assert store.blobs.exists(orphan)
    assert store.collect_orphan_blobs(3600) == [orphan]
    assert not store.blobs.exists(orphan) and store.blobs.exists(young_orphan)
    assert store.read_artifact(artifact.id) == store.blobs.get(artifact.sha256)


def test_storing_an_orphans_bytes_again_makes_it_young(store: Store) -> None:
    orphan, _ = store.blobs.put(png_like(997))
    make_old(store, orphan)
    store.blobs.put(png_like(997))  # a new save needs these bytes: the collector must spare them
    assert store.collect_orphan_blobs(3600) == []


def test_old_partial_writes_are_collected_and_young_ones_spared(store: Store) -> None:
    sha256, _ = store.blobs.put(png_like(996))
    folder = os.path.dirname(store.blobs.path(sha256))
    old = os.path.join(folder, f".tmp-{sha256[2:]}-0123456789abcdef")  # as a crash before the rename leaves
    young = os.path.join(folder, f".tmp-{sha256[2:]}-fedcba9876543210")
    for path in (old, young):
        open(path, "wb").close()
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))

    assert store.blobs.collect_partial_writes(3600, dry_run=True) == [old]
    assert os.path.exists(old)
    assert store.blobs.collect_partial_writes(3600) == [old]
    assert not os.path.exists(old) and os.path.exists(young) and store.blobs.exists(sha256)
