"""Listing, counting and exporting generations; plugin errors; the models seen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from aigc.core.runtime import LoadedModel
from aigc.core.schemas import FeedbackInput
from aigc.storage import store as store_module
from aigc.storage.filters import MAX_OFFSET, MAX_PAGE_SIZE, GenerationFilter, RequestFilter
from aigc.storage.store import Store
from tests.storage.factories import new_generation, new_request


def save_mixed(store: Store) -> list[int]:
    """Three requests: gan (accepted, rejected), gan (accepted), lm (rejected, failed)."""
    requests = [
        new_request(generations=[new_generation(0), new_generation(1, status="rejected")]),
        new_request(generations=[new_generation(0, seed=50)], seed=50),
        new_request(
            generator="toy-lm",
            generations=[new_generation(0, status="rejected"), new_generation(1, status="failed")],
        ),
    ]
    return [store.save(r).request_id for r in requests]


@contextmanager
def counted_statements(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)


def test_list_generations_is_newest_first(store: Store) -> None:
    save_mixed(store)
    ids = [g.id for g in store.list_generations()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 5),
        ({"generator": "toy-gan"}, 3),
        ({"status": "rejected"}, 2),
        ({"generator": "toy-lm", "status": "failed"}, 1),
        ({"generator": "nobody"}, 0),
    ],
)
def test_filters_select_matching_generations(store: Store, filters: dict[str, str], expected: int) -> None:
    save_mixed(store)
    generator, status = filters.get("generator"), filters.get("status")
    where = GenerationFilter(generator=generator, status=status)
    found = store.list_generations(where)
    assert len(found) == store.count_generations(where) == expected
    assert all(getattr(g, field) == value for g in found for field, value in filters.items())


def test_filter_by_request(store: Store) -> None:
    first, _, third = save_mixed(store)
    assert {g.request_id for g in store.list_generations(GenerationFilter(request_id=third))} == {third}
    assert store.count_generations(GenerationFilter(request_id=first)) == 2


def test_filter_by_feedback(store: Store) -> None:
    save_mixed(store)
    nothing_to_rate = new_generation(0, seed=90, status="failed", artifacts=[], evaluations=[])
    store.save(new_request(generations=[nothing_to_rate], seed=90))
    [_, rated, *_] = store.list_generations()
    store.add_feedback(FeedbackInput(artifact_id=rated.artifacts[0].id, rating=4))
    store.add_feedback(FeedbackInput(artifact_id=rated.artifacts[0].id, rating=-1))
    assert [g.id for g in store.list_generations(GenerationFilter(rated=True))] == [rated.id]
    unrated = store.list_generations(GenerationFilter(rated=False))
    assert len(unrated) == store.count_generations(GenerationFilter(rated=False)) == 4
    assert all(g.artifacts for g in unrated) and rated.id not in {g.id for g in unrated}


def test_failed_requests_are_listed_with_their_error(store: Store) -> None:
    save_mixed(store)
    failed = store.save(new_request(0, generator="toy-lm", status="failed", error="PluginCallError: boom"))
    listed = store.list_requests(RequestFilter(status="failed"))
    assert [(r.request_id, r.error, r.generations) for r in listed] == [
        (failed.request_id, "PluginCallError: boom", [])
    ]
    assert store.count_requests(RequestFilter(status="failed")) == 1
    assert store.count_requests(RequestFilter(generator="toy-gan")) == 2
    assert [r.request_id for r in store.list_requests(limit=2)] == [failed.request_id, failed.request_id - 1]


def test_a_metric_score_without_its_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="needs metric"):
        GenerationFilter(min_metric_score=0.5)


def test_pages_cover_every_generation_once(store: Store) -> None:
    save_mixed(store)
    pages = [store.list_generations(limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [g.id for p in pages for g in p] == [g.id for g in store.list_generations()]


@pytest.mark.parametrize(
    ("limit", "offset"), [(0, 0), (MAX_PAGE_SIZE + 1, 0), (10, -1), (10, MAX_OFFSET + 1)]
)
def test_out_of_range_pages_are_refused(store: Store, limit: int, offset: int) -> None:
    with pytest.raises(ValueError, match=r"^(limit|offset) must be"):
        store.list_generations(limit=limit, offset=offset)


def test_related_rows_load_in_a_fixed_number_of_queries(store: Store) -> None:
    for _ in range(4):
        save_mixed(store)
    with counted_statements(store) as few:
        store.list_generations(limit=2)
    with counted_statements(store) as many:
        listed = store.list_generations(limit=20)
    assert len(listed) == 20 and len(many) == len(few) == 3  # generations, artifacts, evaluations
    with counted_statements(store) as one_request:
        store.get_request(1)
    assert len(one_request) == 5  # + the request and its set-level evaluations


def test_export_streams_every_generation_with_artifacts_evaluations_and_feedback(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "EXPORT_PAGE_SIZE", 2)
    save_mixed(store)
    first = store.list_generations(limit=5)[-1]
    store.add_feedback(FeedbackInput(artifact_id=first.artifacts[0].id, rating=1, label="nice"))
    records = list(store.export_records())
    assert [r["id"] for r in records] == sorted(g.id for g in store.list_generations())
    json.dumps(records)  # JSON-able as it is
    record = records[0]
    assert record["key"] == first.key and record["seed"] == first.seed and record["status"] == "accepted"
    assert record["model_sha256"] == "ab" * 32 and record["options"] == {"label": 3, "truncation": 0.7}
    assert record["timings"] == first.timings and record["reasons"] == []
    assert record["request"]["metadata"] == {"client": "tests"}
    [artifact] = record["artifacts"]
    assert artifact["sha256"] == first.artifacts[0].sha256 and artifact["uri"] == first.artifacts[0].uri
    assert [f["label"] for f in artifact["feedback"]] == ["nice"]
    assert {e["metric"] for e in record["evaluations"]} == {"class_match", "length"}


def test_export_filters_like_listing(store: Store) -> None:
    save_mixed(store)
    exported = list(store.export_records(GenerationFilter(status="rejected", generator="toy-lm")))
    assert [(r["generator"], r["status"]) for r in exported] == [("toy-lm", "rejected")]


def test_export_reads_a_page_at_a_time(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "EXPORT_PAGE_SIZE", 2)
    save_mixed(store)
    records = store.export_records()
    with counted_statements(store) as statements:
        next(records)
    first_page = len(statements)
    with counted_statements(store) as statements:
        next(records)  # still the first page: no query
    assert statements == []
    assert len(list(records)) == 3
    assert first_page == 5  # generations, requests, artifacts, feedback, evaluations


def test_plugin_errors_are_listed_newest_first(store: Store) -> None:
    store.record_plugin_error("plugin-a", "import", "ImportError", "no module x", "Traceback...")
    store.record_plugin_error("plugin-b", "generator b: factory", "ValueError", "bad", "Traceback...")
    errors = store.list_plugin_errors()
    assert [(e.plugin, e.stage, e.error_type) for e in errors] == [
        ("plugin-b", "generator b: factory", "ValueError"),
        ("plugin-a", "import", "ImportError"),
    ]
    assert store.list_plugin_errors(limit=1) == errors[:1]


def test_overlong_plugin_error_fields_are_cut_to_fit(store: Store) -> None:
    record = store.record_plugin_error("p" * 300, "import", "E" * 300, "m" * 10_000, "t")
    assert len(record.plugin) == 255 and record.plugin.endswith("…")
    assert len(record.message) == 10_000


def loaded(providers: tuple[str, ...], sha256: str = "cd" * 32) -> LoadedModel:
    return LoadedModel("toy-gan", "0.3.0", "generator.onnx", Path("generator.onnx"), sha256, 17, providers)


def test_record_models_merges_providers_and_bumps_last_used(store: Store) -> None:
    store.record_models([loaded(("CPUExecutionProvider",))])
    [first] = store.list_models()
    store.record_models([loaded(("CUDAExecutionProvider", "CPUExecutionProvider"))])
    [merged] = store.list_models()
    assert merged.id == first.id and merged.opset == 17
    assert merged.providers == ["CPUExecutionProvider", "CUDAExecutionProvider"]
    assert merged.first_seen == first.first_seen and merged.last_used > first.last_used


def test_record_models_keeps_each_file_version_apart(store: Store) -> None:
    cpu = ("CPUExecutionProvider",)
    store.record_models([loaded(cpu), loaded(cpu, sha256="ef" * 32), loaded(cpu)])
    store.record_models([replace(loaded(cpu), file="decoder.onnx"), replace(loaded(cpu), version="0.4.0")])
    models = store.list_models()
    assert len(models) == 4
    assert {(m.version, m.file, m.sha256[:2]) for m in models} == {
        ("0.3.0", "generator.onnx", "cd"),
        ("0.3.0", "generator.onnx", "ef"),
        ("0.3.0", "decoder.onnx", "cd"),
        ("0.4.0", "generator.onnx", "cd"),
    }
