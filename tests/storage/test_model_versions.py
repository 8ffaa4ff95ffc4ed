"""Model versions: lineage recorded once per name, traffic shares that never exceed the whole."""

from __future__ import annotations

import pytest

from aigc.core.errors import InvalidRequestError, NotFoundError
from aigc.storage.model_versions import NewModelVersion
from aigc.storage.store import Store


def _version(version: str, sha256: str = "cd" * 32, model: str = "chat") -> NewModelVersion:
    return NewModelVersion(
        model=model,
        version=version,
        parent=model,
        parent_sha256="ab" * 32,
        dataset_sha256="ef" * 32,
        method="lora",
        hyperparameters={"epochs": 1, "learning_rate": 0.0002},
        seed=7,
        path=f"/models/{model}/{version}",
        files={"model.onnx": "01" * 32},
        sha256=sha256,
    )


def test_a_version_is_stored_with_its_lineage(store: Store) -> None:
    added = store.model_versions.add(_version("t1"))
    stored = store.model_versions.get("chat", "t1")
    assert stored == added and stored.reference == "chat@t1" and stored.traffic_share == 0
    assert (stored.parent, stored.seed, stored.hyperparameters["epochs"]) == ("chat", 7, 1)
    assert stored.files == {"model.onnx": "01" * 32}


def test_recording_the_same_files_again_changes_nothing_and_other_files_are_refused(store: Store) -> None:
    first = store.model_versions.add(_version("t1"))
    assert store.model_versions.add(_version("t1")) == first
    with pytest.raises(InvalidRequestError, match="already recorded with other files") as caught:
        store.model_versions.add(_version("t1", sha256="99" * 32))
    assert caught.value.errors[0]["field"] == "version"
    assert [v.version for v in store.model_versions.list()] == ["t1"]


def test_versions_are_listed_per_model(store: Store) -> None:
    for version, model in (("t1", "chat"), ("t2", "chat"), ("t1", "other")):
        store.model_versions.add(_version(version, model=model))
    assert [v.reference for v in store.model_versions.list("chat")] == ["chat@t1", "chat@t2"]
    assert len(store.model_versions.list()) == 3
    with pytest.raises(NotFoundError, match="chat@t9"):
        store.model_versions.get("chat", "t9")


def test_shares_of_a_model_add_up_to_at_most_one(store: Store) -> None:
    for version in ("t1", "t2"):
        store.model_versions.add(_version(version))
    store.model_versions.add(_version("t1", model="other"))
    store.model_versions.set_share("chat", "t1", 0.75)
    store.model_versions.set_share("other", "t1", 1.0)  # another model's traffic is its own
    with pytest.raises(InvalidRequestError, match=r"at most 0\.25 is left") as caught:
        store.model_versions.set_share("chat", "t2", 0.5)
    assert caught.value.errors[0]["field"] == "share"
    store.model_versions.set_share("chat", "t2", 0.25)
    assert store.model_versions.routes("chat") == [("t1", 0.75), ("t2", 0.25)]
    store.model_versions.set_share("chat", "t1", 0)
    assert store.model_versions.routes("chat") == [("t2", 0.25)]
    with pytest.raises(InvalidRequestError, match="between 0 and 1"):
        store.model_versions.set_share("chat", "t2", 1.5)
    with pytest.raises(NotFoundError):
        store.model_versions.set_share("chat", "t9", 0.1)
