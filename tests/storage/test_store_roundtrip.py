"""What ``Store.save`` stores is what the getters return: rows, artifact bytes, evaluations."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aigc.core.errors import BlobIntegrityError, NotFoundError
from aigc.core.schemas import MAX_SEED, EvalResult
from aigc.core.specs import ArtifactData
from aigc.storage.records import NewEvaluation, NewSetEvaluation
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request, png_like


def test_saved_result_reads_back_equal(store: Store) -> None:
    request = new_request(3, prompt="a seven")
    saved = store.save(request)
    assert store.get_request(saved.request_id) == saved
    assert [store.get_generation(g.id) for g in saved.generations] == saved.generations


def test_saved_result_carries_what_was_given(store: Store) -> None:
    request = new_request(2, prompt="a seven")
    saved = store.save(request)
    assert saved.generator == "toy-gan" and saved.status == "completed" and saved.timings == {"total_ms": 3.0}
    for given, stored in zip(request.generations, saved.generations, strict=True):
        assert stored.request_id == saved.request_id and stored.index == given.index
        assert (stored.seed, stored.key, stored.status, stored.score) == (
            given.seed,
            given.key,
            given.status,
            given.score,
        )
        assert stored.prompt == "a seven" and stored.options == request.options
        assert stored.generator_version == "0.3.0" and stored.model_sha256 == request.model_sha256
        assert stored.timings == given.timings and stored.reasons == given.reasons
        [artifact] = stored.artifacts
        assert artifact.generation_id == stored.id and artifact.metadata == {"label": 3}
        by_metric = {e.metric: e for e in stored.evaluations}
        assert by_metric["class_match"].artifact_id == artifact.id
        assert by_metric["class_match"].details == {"top": 3} and by_metric["class_match"].passed is True
        assert by_metric["length"].artifact_id is None and by_metric["length"].value == 12.0


def test_artifact_bytes_read_back_verified(store: Store) -> None:
    saved = store.save(new_request(2))
    for generation in saved.generations:
        [artifact] = generation.artifacts
        data = store.read_artifact(artifact.id)
        assert data == png_like(generation.seed)
        assert artifact.sha256 == hashlib.sha256(data).hexdigest() and artifact.size == len(data)
        assert artifact.uri is not None and Path(artifact.uri).read_bytes() == data
        assert artifact.text is None and artifact.media_type == "image/png"
        assert store.get_artifact(artifact.id) == artifact


def test_text_artifacts_are_stored_inline(store: Store) -> None:
    text = "Ünïcode text, stored inline ✓"
    sample = new_generation(artifacts=[ArtifactData("text/plain", text=text)], evaluations=[])
    saved = store.save(new_request(generations=[sample]))
    [artifact] = saved.generations[0].artifacts
    encoded = text.encode("utf-8")
    assert artifact.text == text and artifact.uri is None
    assert artifact.sha256 == hashlib.sha256(encoded).hexdigest() and artifact.size == len(encoded)
    assert store.read_artifact(artifact.id) == encoded
    assert list(store.blobs.iter_hashes()) == []


def test_several_artifacts_per_sample_keep_their_order(store: Store) -> None:
    artifacts = [
        ArtifactData("image/png", data=png_like(1)),
        ArtifactData("text/plain", text="caption"),
        ArtifactData("image/png", data=png_like(1)),  # same bytes: one blob
    ]
    evaluation = NewEvaluation("caption-check", "1", EvalResult(metric="ok", score=1.0), artifact_index=1)
    sample = new_generation(artifacts=artifacts, evaluations=[evaluation])
    [generation] = store.save(new_request(generations=[sample])).generations
    assert [a.index for a in generation.artifacts] == [0, 1, 2]
    assert [a.media_type for a in generation.artifacts] == ["image/png", "text/plain", "image/png"]
    assert generation.evaluations[0].artifact_id == generation.artifacts[1].id
    assert len(list(store.blobs.iter_hashes())) == 1


def test_failed_requests_and_samples_are_stored_too(store: Store) -> None:
    failed = new_generation(status="failed", artifacts=[], evaluations=[])
    saved = store.save(new_request(generations=[failed], status="failed", error="generator crashed"))
    stored = store.get_request(saved.request_id)
    assert stored.status == "failed" and stored.error == "generator crashed"
    assert stored.generations[0].status == "failed" and stored.generations[0].error == "boom"
    assert stored.generations[0].score is None


def test_a_request_without_samples_is_stored(store: Store) -> None:
    saved = store.save(new_request(generations=[], status="failed", error="model integrity"))
    assert store.get_request(saved.request_id).generations == []


def test_largest_seed_survives(store: Store) -> None:
    sample = new_generation(seed=MAX_SEED)
    saved = store.save(new_request(generations=[sample], seed=MAX_SEED))
    assert store.get_generation(saved.generations[0].id).seed == MAX_SEED


def test_tampered_blob_fails_read_artifact(store: Store) -> None:
    [generation] = store.save(new_request(1)).generations
    artifact = generation.artifacts[0]
    assert artifact.uri is not None
    Path(artifact.uri).write_bytes(b"not the image any more")
    with pytest.raises(BlobIntegrityError, match=artifact.sha256):
        store.read_artifact(artifact.id)


def test_missing_blob_fails_read_artifact(store: Store) -> None:
    [generation] = store.save(new_request(1)).generations
    artifact = generation.artifacts[0]
    assert artifact.uri is not None
    Path(artifact.uri).unlink()
    with pytest.raises(BlobIntegrityError, match="missing"):
        store.read_artifact(artifact.id)


@pytest.mark.parametrize(
    ("method", "what"),
    [
        ("get_request", "request"),
        ("get_generation", "generation"),
        ("get_artifact", "artifact"),
        ("read_artifact", "artifact"),
    ],
)
def test_missing_records_raise_not_found_naming_the_id(store: Store, method: str, what: str) -> None:
    with pytest.raises(NotFoundError, match=f"{what} 424242 not found"):
        getattr(store, method)(424242)


def test_set_level_evaluations_are_stored_per_request(store: Store) -> None:
    fid = EvalResult(metric="fid", value=12.5, reason="against 360 held-out digits", details={"real": 360})
    saved = store.save(
        new_request(3, set_evaluations=[NewSetEvaluation("image-fid", "1.0", fid, sample_count=3)])
    )
    [stored] = saved.set_evaluations
    assert (stored.evaluator, stored.metric, stored.value, stored.sample_count) == (
        "image-fid",
        "fid",
        12.5,
        3,
    )
    assert stored.request_id == saved.request_id and stored.details == {"real": 360}
    assert store.get_request(saved.request_id).set_evaluations == [stored]
