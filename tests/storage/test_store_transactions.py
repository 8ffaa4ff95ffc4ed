"""A save or a feedback that fails writes nothing at all."""

from __future__ import annotations

import pytest

from aigc.core.errors import DuplicateKeyError, NotFoundError
from aigc.core.schemas import EvalResult, FeedbackInput
from aigc.storage.records import NewEvaluation
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request, row_counts


def test_duplicate_idempotency_key_rolls_back_the_whole_save(store: Store) -> None:
    store.save(new_request(generations=[new_generation(0, idempotency_key="job-1/item-1")]))
    before = row_counts(store)
    clash = new_request(
        generations=[
            new_generation(0, seed=100, idempotency_key="job-1/item-2"),
            new_generation(1, seed=100, idempotency_key="job-1/item-1"),  # taken
        ]
    )
    with pytest.raises(DuplicateKeyError, match="idempotency_key 'job-1/item-1'"):
        store.save(clash)
    assert row_counts(store) == before
    assert store.count_generations() == 1


def test_evaluation_of_a_missing_artifact_is_refused_before_writing(store: Store) -> None:
    before = row_counts(store)
    stray = NewEvaluation("x", "1", EvalResult(metric="m", score=0.5), artifact_index=3)
    with pytest.raises(ValueError, match="artifact_index 3"):
        store.save(new_request(generations=[new_generation(evaluations=[stray])]))
    assert row_counts(store) == before
    assert list(store.blobs.iter_hashes()) == []


def test_store_stays_usable_after_a_failed_save(store: Store) -> None:
    store.save(new_request(generations=[new_generation(0, idempotency_key="k")]))
    with pytest.raises(DuplicateKeyError):
        store.save(new_request(generations=[new_generation(0, idempotency_key="k")]))
    saved = store.save(new_request(generations=[new_generation(0, idempotency_key="k2")]))
    assert store.get_request(saved.request_id) == saved


def test_feedback_is_stored_and_listed(store: Store) -> None:
    [first, second] = store.save(new_request(2)).generations
    artifact_id = first.artifacts[0].id
    up = store.add_feedback(FeedbackInput(artifact_id=artifact_id, rating=1, label="good", author="ana"))
    down = store.add_feedback(FeedbackInput(artifact_id=artifact_id, rating=-1, comment="blurry"))
    other = store.add_feedback(FeedbackInput(artifact_id=second.artifacts[0].id, rating=5))
    assert (up.rating, up.label, up.author, up.artifact_id) == (1, "good", "ana", artifact_id)
    assert up.created_at.tzinfo is not None
    assert store.list_feedback(artifact_id) == [up, down]
    assert store.list_feedback() == [up, down, other]


def test_feedback_on_a_missing_artifact_is_not_found_and_writes_nothing(store: Store) -> None:
    store.save(new_request(1))
    before = row_counts(store)
    with pytest.raises(NotFoundError, match="artifact 999 not found"):
        store.add_feedback(FeedbackInput(artifact_id=999, rating=1))
    assert row_counts(store) == before
