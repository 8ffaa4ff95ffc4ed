"""The engine's contracts, shown with plugin doubles: validation, isolation, policy and storage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.core.schemas import GenerationResult
from tests.core.plugin_doubles import DoublesPlugin


@pytest.fixture
def doubles() -> Iterator[DoublesPlugin]:
    plugin = DoublesPlugin()
    yield plugin
    plugin.release.set()


@pytest.fixture
def engine(settings: Settings, runtime: ModelRuntime, doubles: DoublesPlugin) -> Iterator[Engine]:
    registry = PluginRegistry()
    registry.add(doubles, "doubles")
    quick = settings.model_copy(update={"generator_timeout_s": 1.0, "evaluator_timeout_s": 1.0})
    with Engine(quick, registry=registry, runtime=runtime) as engine:
        yield engine


def _counts(engine: Engine) -> tuple[int, int]:
    return engine.store.count_generations(), len(engine.store.list_feedback())


def test_result_is_stored_with_ids_and_provenance(engine: Engine) -> None:
    result = engine.generate(
        {"generator": "echo", "prompt": "hi", "n": 3, "seed": 7, "evaluators": ["length"]}
    )
    assert result.status == "completed"
    assert [g.seed for g in result.generations] == [7, 8, 9]
    stored = engine.store.get_request(result.request_id)
    assert stored.generations == result.generations
    first = result.generations[0]
    assert first.artifacts[0].text == "hi w7-0 w7-1 w7-2"
    assert first.evaluations[0].metric == "length" and first.evaluations[0].evaluator == "length"
    assert first.options == {"words": 3} and first.prompt == "hi"


def test_batches_are_split_at_the_generators_max_batch_size(engine: Engine) -> None:
    result = engine.generate({"generator": "echo", "n": 10, "seed": 0})
    texts = [g.artifacts[0].text for g in result.generations]
    assert texts == [f" w{i}-0 w{i}-1 w{i}-2" for i in range(10)]


@pytest.mark.parametrize(
    ("request_data", "field", "fragment"),
    [
        ({"generator": "echo", "n": 0}, "n", "greater than or equal to 1"),
        ({"generator": "echo", "n": 257}, "n", "less than or equal to 256"),
        ({"generator": "echo", "options": {"words": 51}}, "options.words", "less than or equal to 50"),
        (
            {"generator": "echo", "options": {"words": True}},
            "options.words",
            "expected an integer, got a boolean",
        ),
        (
            {"generator": "echo", "options": {"colour": "red"}},
            "options.colour",
            "unknown option; allowed: words",
        ),
        ({"generator": "nope"}, "generator", "unknown generator; installed:"),
        ({"generator": "echo", "seed": -1}, "seed", "greater than or equal to 0"),
        (
            {"generator": "echo", "evaluators": [{"name": "length", "options": {"target": 0}}]},
            "evaluators[0].options.target",
            "greater than or equal to 1",
        ),
        ({"generator": "echo", "evaluators": ["missing"]}, "evaluators[0].name", "unknown evaluator"),
        (
            {"generator": "echo", "policy": {"thresholds": {"length": {}}}},
            "policy.thresholds.length",
            "min, max or both",
        ),
    ],
)
def test_invalid_requests_name_the_field_and_limit_and_store_nothing(
    engine: Engine, request_data: dict[str, object], field: str, fragment: str
) -> None:
    engine.generate({"generator": "echo", "seed": 1})
    before = _counts(engine)
    with pytest.raises(InvalidRequestError) as caught:
        engine.generate(request_data)
    [error] = caught.value.errors
    assert error["field"] == field
    assert fragment in str(error["message"])
    assert field in str(caught.value)
    assert _counts(engine) == before


def test_every_field_error_of_a_request_is_reported_together(engine: Engine) -> None:
    request = {
        "generator": "echo",
        "options": {"colour": "red", "words": 51},
        "evaluators": [{"name": "length", "options": {"target": False}}, "missing"],
    }
    with pytest.raises(InvalidRequestError) as caught:
        engine.generate(request)
    assert [(e["field"], e["value"]) for e in caught.value.errors] == [
        ("options.colour", "red"),
        ("options.words", 51),
        ("evaluators[0].options.target", False),
        ("evaluators[1].name", "missing"),
    ]
    assert "evaluators[0].options.target: expected an integer, got a boolean" in str(caught.value)


@pytest.mark.parametrize("mode", ["raise", "hang", "malformed"])
def test_failing_generator_is_stored_as_failed_and_the_engine_keeps_working(
    engine: Engine, mode: str
) -> None:
    result = engine.generate({"generator": f"gen-{mode}", "seed": 1})
    assert result.status == "failed" and result.generations == []
    assert (
        result.error
        and {"raise": "model exploded", "hang": "did not finish", "malformed": "ArtifactData"}[mode]
        in result.error
    )
    assert engine.store.get_request(result.request_id).status == "failed"
    assert (engine.store.get_traceback(result.request_id) or "").startswith("Traceback")
    assert any(e.plugin == "doubles" for e in engine.registry.errors)
    assert engine.generate({"generator": "echo", "seed": 1}).status == "completed"


@pytest.mark.parametrize(
    ("mode", "fragment"), [("raise", "evaluator bug"), ("hang", "did not finish"), ("nan", "finite")]
)
def test_broken_evaluator_becomes_a_recorded_error_and_rejects(
    engine: Engine, mode: str, fragment: str
) -> None:
    result = engine.generate(
        {"generator": "echo", "n": 2, "seed": 1, "evaluators": [f"eval-{mode}", "length"]}
    )
    assert result.status == "completed"
    for generation in result.generations:
        broken = [e for e in generation.evaluations if e.evaluator == f"eval-{mode}"]
        assert broken and broken[0].error and fragment in broken[0].error
        assert [e.metric for e in generation.evaluations if e.evaluator == "length"] == ["length"]
        assert generation.status == "rejected"
        assert any("evaluator failed" in r for r in generation.reasons)
    [recorded] = engine.store.list_plugin_errors()
    assert (recorded.plugin, recorded.stage) == ("doubles", f"evaluator eval-{mode}: evaluate")
    assert fragment in recorded.message and "Traceback" in recorded.traceback


def test_policy_decides_status_and_score(engine: Engine) -> None:
    short = {
        "generator": "echo",
        "seed": 1,
        "options": {"words": 1},
        "evaluators": [{"name": "length", "options": {"target": 10}}],
    }
    policy = {"thresholds": {"length/length": {"min": 5, "on": "value"}}, "require_passed": False}
    accepted = engine.generate(short | {"policy": policy}).generations[0]
    assert accepted.status == "accepted" and accepted.reasons == []
    strict = engine.generate(
        short | {"policy": {"thresholds": {"length": {"min": 50, "on": "value"}}}}
    ).generations[0]
    assert strict.status == "rejected"
    assert any("< min 50" in r for r in strict.reasons)
    assert strict.score == pytest.approx(min(1.0, len(strict.artifacts[0].text or "") / 10))


def test_engine_started_hook_sees_the_engine(settings: Settings, runtime: ModelRuntime) -> None:
    from aigc.core import hookimpl

    seen = []

    class Watcher:
        @hookimpl
        def aigc_engine_started(self, engine: Engine) -> None:
            seen.append(engine)

    registry = PluginRegistry()
    registry.add(Watcher(), "watcher")
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        late = Watcher()
        registry.add(late, "late-watcher")
        assert seen == [engine, engine]


def test_stream_yields_deltas_then_stores_the_result(engine: Engine) -> None:
    stream = engine.stream({"generator": "echo-stream", "prompt": "hi", "seed": 4, "evaluators": ["length"]})
    deltas = list(stream)
    assert deltas == ["hi", " w4-0", " w4-1", " w4-2"]
    assert stream.result is not None and stream.result.status == "completed"
    [generation] = stream.result.generations
    assert generation.artifacts[0].text == "".join(deltas)
    assert generation.evaluations[0].metric == "length"
    assert engine.store.get_request(stream.result.request_id).generations == [generation]
    plain = engine.generate({"generator": "echo-stream", "prompt": "hi", "seed": 4}).generations[0]
    assert plain.key == generation.key and plain.artifacts[0].sha256 == generation.artifacts[0].sha256


def test_stream_refuses_several_samples_and_generators_that_cannot_stream(engine: Engine) -> None:
    with pytest.raises(InvalidRequestError, match="n: streaming produces one sample"):
        engine.stream({"generator": "echo-stream", "n": 2})
    with pytest.raises(InvalidRequestError, match="does not stream"):
        engine.stream({"generator": "echo"})
    assert engine.store.count_generations() == 0


def test_a_request_the_plugin_finds_invalid_is_an_error_and_stores_nothing(
    settings: Settings, registry: PluginRegistry, runtime: ModelRuntime
) -> None:
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        with pytest.raises(InvalidRequestError, match=r"prompt: prompt is \d+ tokens; the model's context"):
            engine.generate({"generator": "text-transformer", "prompt": "word " * 400, "seed": 1})
        assert engine.store.count_generations() == 0
        assert engine.registry.errors == []


def test_set_level_evaluators_score_the_request_as_a_whole(engine: Engine) -> None:
    length = {"name": "length", "options": {"target": 5}}
    result = engine.generate({"generator": "echo", "n": 4, "seed": 3, "evaluators": ["distinct", length]})
    [distinct] = result.set_evaluations
    assert (distinct.evaluator, distinct.metric, distinct.value, distinct.sample_count) == (
        "distinct",
        "distinct_texts",
        1.0,
        4,
    )
    assert all(
        g.status == "accepted" and [e.metric for e in g.evaluations] == ["length"] for g in result.generations
    )
    assert engine.store.get_request(result.request_id).set_evaluations == [distinct]


@pytest.mark.parametrize(
    ("name", "fragment"), [("set-raise", "no features"), ("set-without-evaluate-set", "SetEvaluator")]
)
def test_broken_set_evaluator_is_a_recorded_error(engine: Engine, name: str, fragment: str) -> None:
    result = engine.generate({"generator": "echo", "n": 2, "seed": 3, "evaluators": [name]})
    [failed] = result.set_evaluations
    assert result.status == "completed" and failed.error and fragment in failed.error
    [recorded] = engine.store.list_plugin_errors()  # a factory failure is recorded once, as such
    stage = "factory" if name == "set-without-evaluate-set" else "evaluate"
    assert recorded.stage == f"evaluator {name}: {stage}" and fragment in recorded.message


def test_requests_sharing_a_failed_call_are_each_stored_failed_and_the_failure_recorded_once(
    engine: Engine,
) -> None:
    failed_a, failed_b, fine = engine.generate_many(
        [
            {"generator": "gen-raise", "prompt": "p", "seed": 1},
            {"generator": "gen-raise", "prompt": "p", "seed": 2},
            {"generator": "echo", "prompt": "p", "seed": 1},
        ]
    )
    for failed in (failed_a, failed_b):
        assert isinstance(failed, GenerationResult) and failed.status == "failed"
        assert failed.error and "model exploded" in failed.error
    assert isinstance(fine, GenerationResult) and fine.status == "completed"
    [recorded] = engine.store.list_plugin_errors()
    assert recorded.stage == "generator gen-raise: generate"
