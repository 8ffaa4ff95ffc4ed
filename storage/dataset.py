"""Fine-tuning examples from stored generations: accepted text with its prompt, rated well enough.

Format (one JSON object per line, the prompt/completion layout most fine-tuning tools read)::

    {"prompt": "...", "completion": "...", "generator": "...", "generator_version": "...",
     "model_sha256": "...", "generation_id": 1, "artifact_id": 1, "seed": 7, "score": 0.8,
     "rating": 1.0, "ratings": 2}

A chat generation's example also has ``"messages": [{"role": ..., "content": ...}, ...]`` (its
conversation; ``prompt`` is then empty), which ``aigc tune`` renders with the model's chat template.

``rating`` is the mean of the artifact's feedback on a [0, 1] scale (down = 0, up = 1, a five-point
rating r = (r - 1) / 4) or null without feedback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

DEFAULT_MIN_RATING = 0.5


def normalised_rating(rating: int) -> float:
    """A stored rating on [0, 1]: -1 → 0, +1 → 1, 2..5 → (r - 1) / 4."""
    if rating == -1:
        return 0.0
    if rating == 1:
        return 1.0
    return (rating - 1) / 4


def dataset_examples(
    records: Iterable[dict[str, Any]], min_rating: float, require_rating: bool
) -> Iterator[dict[str, Any]]:
    """Examples from ``Store.export_records`` output: text artifacts of accepted generations whose
    mean rating is at least ``min_rating`` (unrated ones too, unless ``require_rating``)."""
    for record in records:
        if record["status"] != "accepted":
            continue
        for artifact in record["artifacts"]:
            if artifact["text"] is None:
                continue
            ratings = [normalised_rating(f["rating"]) for f in artifact["feedback"]]
            mean = sum(ratings) / len(ratings) if ratings else None
            if (mean is None and require_rating) or (mean is not None and mean < min_rating):
                continue
            messages = record.get("messages")
            yield {
                "prompt": record["prompt"] or "",
                **({"messages": messages} if messages else {}),
                "completion": artifact["text"],
                "generator": record["generator"],
                "generator_version": record["generator_version"],
                "model_sha256": record["model_sha256"],
                "generation_id": record["id"],
                "artifact_id": artifact["id"],
                "seed": record["seed"],
                "score": record["score"],
                "rating": mean,
                "ratings": len(ratings),
            }
