"""Comparisons over stored samples: best_of candidates per output, and prompts by generator versions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import pytest

from aigc.core.http.gallery.matrix import build_matrix, candidates, traffic_split
from aigc.core.http.gallery.waveform import samples_svg
from aigc.core.schemas import Evaluation, Generation, GenerationResult
from aigc.storage.model_versions import ModelVersion, NewModelVersion
from tests.http.live_server import LiveServer


def sample(id: int, generator: str = "lm", version: str = "1", **fields: Any) -> Generation:
    """A stored sample with as little ceremony as a comparison needs."""
    scores: dict[str, float] = fields.pop("scores", {})
    evaluations = [
        Evaluation(
            id=i,
            generation_id=id,
            artifact_id=None,
            evaluator="judge",
            evaluator_version="1",
            metric=m,
            score=s,
        )
        for i, (m, s) in enumerate(scores.items())
    ]
    values: dict[str, Any] = {
        "id": id,
        "request_id": 1,
        "index": 0,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "generator": generator,
        "generator_version": version,
        "model_sha256": None,
        "prompt": "hello",
        "options": {},
        "seed": 1,
        "key": f"{id:064x}",
        "status": "accepted",
        "score": None,
        "reasons": [],
        "error": None,
        "timings": {},
        "artifacts": [],
        "evaluations": evaluations,
    }
    return Generation(**(values | fields))


def test_candidates_are_grouped_per_output_in_order() -> None:
    generations = [sample(10 + i, index=i) for i in (4, 0, 3, 1, 5, 2)]
    result = GenerationResult(
        request_id=1,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        generator="lm",
        status="completed",
        error=None,
        timings={},
        best_of=3,
        generations=generations,
    )
    assert [[g.index for g in group] for group in candidates(result)] == [[0, 1, 2], [3, 4, 5]]


def test_matrix_rows_are_inputs_and_columns_generator_versions() -> None:
    matrix = build_matrix(
        [
            sample(1, "lm", "1", prompt="a", seed=1, score=0.5, scores={"fluency": 0.4}),
            sample(2, "lm", "2", prompt="a", seed=1, score=0.9, scores={"fluency": 0.8}),
            sample(3, "lm", "1", prompt="a", seed=2, status="rejected", score=0.1, scores={"fluency": 0.2}),
            sample(4, "lm", "1", prompt="a", seed=1, score=0.7),  # newer sample of the same cell
            sample(5, "lm", "2", prompt="b", seed=1, status="failed"),
        ]
    )
    assert matrix.columns == [("lm", "1", ""), ("lm", "2", "")]
    assert matrix.rows == [("a", 1), ("a", 2), ("b", 1)]
    assert matrix.cell(("a", 1), ("lm", "1", "")).id == 4
    assert matrix.cell(("a", 2), ("lm", "2", "")) is None
    first, second = (matrix.summaries[c] for c in matrix.columns)
    assert (first.samples, first.pass_rate, first.mean_score) == (2, 0.5, pytest.approx(0.4))
    assert first.mean_scores == {"judge/fluency": pytest.approx(0.2)}
    assert (second.samples, second.pass_rate, second.mean_score) == (2, 0.5, 0.9)  # failed: not a pass
    assert matrix.metrics == ["judge/fluency"]


def test_model_files_of_one_version_are_columns_apart() -> None:
    matrix = build_matrix([sample(1, model_sha256="ab" * 32), sample(2, model_sha256="cd" * 32)])
    assert matrix.columns == [("lm", "1", "ab" * 6), ("lm", "1", "cd" * 6)]


def test_a_conversation_is_keyed_by_its_last_turn() -> None:
    chat = sample(
        1, prompt=None, messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]
    )
    assert build_matrix([chat]).rows == [("hi", 1)]


def test_a_waveform_has_one_bar_per_column_spanning_its_peaks() -> None:
    samples = np.concatenate([np.zeros(100), np.full(100, 0.5), np.full(100, -1.0)])
    svg = samples_svg(samples, columns=3, height=40)
    assert 'viewBox="0 0 3 40"' in svg
    assert "M0 20.0V20.5M1 10.0V10.5M2 40.0V40.5" in svg
    assert 'viewBox="0 0 1 40"' in samples_svg(np.zeros(0), height=40)


def _version(version: str, share: float) -> ModelVersion:
    return ModelVersion(
        id=1, model="chat", version=version, parent="chat", parent_sha256="ab" * 32, dataset_sha256="ef" * 32,
        method="lora", hyperparameters={}, seed=7, path="/m", files={}, sha256="cd" * 32, traffic_share=share,
        created_at=datetime.now(UTC),
    )  # fmt: skip


def test_traffic_split_counts_the_samples_each_version_served() -> None:
    served = [
        sample(i, "lm", "1", prompt="a", seed=i, options={"model": model})
        for i, model in enumerate(["chat@t1", "chat", "chat@t1", "chat@t2"], start=1)
    ]
    split = traffic_split([_version("t1", 0.5), _version("t3", 0.1)], served)
    assert [(t.version.reference, t.version.traffic_share, t.samples) for t in split] == [
        ("chat@t1", 0.5, 2),
        ("chat@t3", 0.1, 0),
    ]


def test_the_matrix_page_shows_each_versions_routed_share(
    server: LiveServer, gallery_client: httpx.Client
) -> None:
    versions = server.engine.store.model_versions
    versions.add(
        NewModelVersion(
            **_version("split", 0.0).model_dump(
                include=set(NewModelVersion.model_fields) - {"hyperparameters"}
            ),
            hyperparameters={"variant": "quantized"},
        )
    )
    versions.set_share("chat", "split", 0.25)
    page = gallery_client.get("/gallery/matrix")
    assert page.status_code == 200
    row = re.search(r"<tr><td><code>chat@split</code>.*?</tr>", page.text, re.S)
    assert row is not None and "25.0%" in row.group(0) and "lora · quantized · seed 7" in row.group(0)
