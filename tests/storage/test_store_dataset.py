"""The fine-tuning dataset: accepted text with its prompt, left out when rated badly."""

from __future__ import annotations

import json

import pytest

from aigc.core.schemas import FeedbackInput
from aigc.core.specs import ArtifactData
from aigc.storage.dataset import normalised_rating
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request


def _text_request(store: Store) -> list[int]:
    """Two accepted texts, a rejected text and an accepted image; their artifact ids."""
    generations = [
        new_generation(0, artifacts=[ArtifactData("text/plain", text="light was good")], evaluations=[]),
        new_generation(1, artifacts=[ArtifactData("text/plain", text="rated down")], evaluations=[]),
        new_generation(
            2, status="rejected", artifacts=[ArtifactData("text/plain", text="no")], evaluations=[]
        ),
        new_generation(3, evaluations=[]),  # an image: not a text example
    ]
    result = store.save(new_request(generator="toy-lm", prompt="Let there be", generations=generations))
    return [g.artifacts[0].id for g in result.generations]


@pytest.mark.parametrize(("rating", "expected"), [(-1, 0.0), (1, 1.0), (2, 0.25), (3, 0.5), (5, 1.0)])
def test_ratings_are_normalised_to_0_1(rating: int, expected: float) -> None:
    assert normalised_rating(rating) == expected


def test_dataset_holds_accepted_texts_not_rated_down(store: Store) -> None:
    good, bad, _, _ = _text_request(store)
    store.add_feedback(FeedbackInput(artifact_id=good, rating=5))
    store.add_feedback(FeedbackInput(artifact_id=good, rating=1))
    store.add_feedback(FeedbackInput(artifact_id=bad, rating=-1))
    [example] = store.export_dataset()
    json.dumps(example)
    assert example["prompt"] == "Let there be" and example["completion"] == "light was good"
    assert (example["rating"], example["ratings"], example["artifact_id"]) == (1.0, 2, good)
    assert example["generator"] == "toy-lm" and example["model_sha256"] == "ab" * 32


def test_unrated_texts_are_kept_unless_a_rating_is_required(store: Store) -> None:
    good, _, _, _ = _text_request(store)
    assert [e["completion"] for e in store.export_dataset()] == ["light was good", "rated down"]
    assert list(store.export_dataset(require_rating=True)) == []
    store.add_feedback(FeedbackInput(artifact_id=good, rating=3))
    assert [e["rating"] for e in store.export_dataset(require_rating=True)] == [0.5]
    assert list(store.export_dataset(require_rating=True, min_rating=0.75)) == []


def test_min_rating_is_checked(store: Store) -> None:
    with pytest.raises(ValueError, match="min_rating must be between 0 and 1"):
        store.export_dataset(min_rating=2)


def test_a_chat_example_keeps_its_conversation(store: Store) -> None:
    messages = [{"role": "user", "content": "Say hi"}]
    generation = new_generation(0, artifacts=[ArtifactData("text/plain", text="hi")], evaluations=[])
    store.save(new_request(generator="toy-lm", messages=messages, generations=[generation]))
    [example] = store.export_dataset()
    assert example["messages"] == messages and example["prompt"] == "" and example["completion"] == "hi"
