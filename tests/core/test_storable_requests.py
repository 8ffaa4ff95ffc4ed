"""What one database stores and another refuses (NUL in text, NaN) is refused before any work,
alike on SQLite and PostgreSQL, naming the field; nothing is generated or stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.core.schemas import FeedbackInput


@pytest.fixture
def engine(
    database_url: str, tmp_path: Path, registry: PluginRegistry, runtime: ModelRuntime
) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path / "aigc-data", database_url=database_url)
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        yield engine


@pytest.mark.parametrize(
    ("request_data", "field"),
    [
        ({"generator": "text-transformer", "prompt": "In the\x00beginning"}, "prompt"),
        ({"generator": "image-gan", "metadata": {"note": "a\x00b"}}, "metadata"),
        ({"generator": "image-gan", "metadata": {"a\x00b": "note"}}, "metadata"),
        ({"generator": "smollm2", "messages": [{"role": "user", "content": "hi\x00"}]}, "messages"),
        ({"generator": "text-transformer", "prompt": "a", "options": {"stop": ["\x00"]}}, "options.stop[0]"),
        ({"generator": "image-gan", "options": {"truncation": float("nan")}}, "options.truncation"),
        (
            {"generator": "image-gan", "policy": {"thresholds": {"class_match": {"max": float("inf")}}}},
            "policy.thresholds.class_match.max",
        ),
    ],
)
def test_unstorable_requests_are_refused_before_generation(
    engine: Engine, request_data: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        engine.generate(request_data)
    assert raised.value.errors[0]["field"] == field
    assert engine.store.count_generations() == 0


def test_feedback_with_a_nul_character_is_refused(engine: Engine) -> None:
    result = engine.generate({"generator": "image-gan", "seed": 1})
    artifact_id = result.generations[0].artifacts[0].id
    with pytest.raises(ValueError, match="NUL"):
        FeedbackInput(artifact_id=artifact_id, rating=1, comment="fine\x00")
    engine.store.add_feedback(FeedbackInput(artifact_id=artifact_id, rating=1, comment="fine"))
    assert [f.comment for f in engine.store.list_feedback(artifact_id)] == ["fine"]
