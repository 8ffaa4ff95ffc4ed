"""Engine mechanisms of the quality gate, with plugin doubles: best-of-n selection, artifacts
replaced by an evaluator (redaction), and broken evaluators next to the built-in text evaluators."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from aigc.core import EvalItem, EvalResult, EvaluatorSpec, Options, hookimpl
from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.storage.blobs import sha256_hex
from tests.core.plugin_doubles import DoublesPlugin


class ReplacingEvaluator:
    """Replaces every text by its upper case, or (``media_type``) by an artifact of another type."""

    def __init__(self, media_type: str | None = None) -> None:
        self.media_type = media_type

    def evaluate(self, items: Sequence[EvalItem], options: Any) -> list[list[EvalResult]]:
        results = []
        for item in items:
            new = replace(item.artifact, text=(item.artifact.text or "").upper())
            if self.media_type:
                new = replace(new, media_type=self.media_type)
            results.append([EvalResult(metric="shout", passed=True, reason="shouted", replacement=new)])
        return results


class ReplacingPlugin:
    @hookimpl
    def aigc_register_evaluators(self, register: Callable[[EvaluatorSpec], None]) -> None:
        for name, media_type in (("shout", None), ("shout-as-html", "text/html")):
            register(
                EvaluatorSpec(
                    name=name,
                    version="0.1",
                    options=Options,
                    factory=lambda context, m=media_type: ReplacingEvaluator(m),
                    media_types=("text/plain",),
                )
            )


@pytest.fixture
def gate(settings: Settings, runtime: ModelRuntime) -> Iterator[Engine]:
    """The installed plugins plus the doubles, with short evaluator time limits."""
    doubles = DoublesPlugin()
    registry = PluginRegistry.from_entry_points()
    registry.add(doubles, "doubles")
    registry.add(ReplacingPlugin(), "replacing")
    quick = settings.model_copy(update={"evaluator_timeout_s": 2.0})
    with Engine(quick, registry=registry, runtime=runtime) as engine:
        yield engine
    doubles.release.set()


def _statuses(result: Any) -> list[str]:
    return [g.status for g in result.generations]


def _best_of_8(n: int, policy: dict[str, Any]) -> dict[str, Any]:
    """Three echo candidates per output from seed 8, scored by length: texts of seeds 8 and 9 have 15
    characters, of seeds 10-13 18, so the score grows with the seed."""
    evaluators = [{"name": "length", "options": {"target": 100}}]
    return {"generator": "echo", "n": n, "best_of": 3, "seed": 8, "evaluators": evaluators, "policy": policy}


def test_best_of_keeps_the_highest_scoring_candidate_and_stores_all(gate: Engine) -> None:
    result = gate.generate(_best_of_8(2, {"require_passed": False}))
    assert result.best_of == 3 and len(result.generations) == 6
    assert [g.seed for g in result.generations] == [8, 9, 10, 11, 12, 13]
    assert _statuses(result) == ["rejected", "rejected", "accepted", "accepted", "rejected", "rejected"]
    assert result.generations[0].reasons == ["best_of: candidate 2 of this output was kept (score 0.18)"]
    stored = gate.store.get_request(result.request_id)
    assert stored.generations == result.generations and stored.best_of == 3


def test_best_of_keeps_the_best_candidate_that_passes(gate: Engine) -> None:
    threshold = {"length": {"max": 16, "on": "value"}}
    result = gate.generate(_best_of_8(1, {"require_passed": False, "thresholds": threshold}))
    assert _statuses(result) == ["accepted", "rejected", "rejected"]
    assert result.generations[2].reasons == ["length: value 18 > max 16"]


def test_best_of_without_a_passing_candidate_accepts_none(gate: Engine) -> None:
    result = gate.generate(
        {
            "generator": "echo",
            "best_of": 4,
            "seed": 0,
            "evaluators": [{"name": "length", "options": {"target": 99}}],
        }
    )
    assert _statuses(result) == ["rejected"] * 4
    assert all("length/length" in g.reasons[0] for g in result.generations)


def test_best_of_is_limited_with_n(gate: Engine) -> None:
    with pytest.raises(InvalidRequestError, match="n \\* best_of must not exceed 256"):
        gate.generate({"generator": "echo", "n": 20, "best_of": 16})
    with pytest.raises(InvalidRequestError) as caught:
        gate.stream({"generator": "echo-stream", "best_of": 2})
    assert caught.value.errors[0]["field"] == "best_of"


def test_an_evaluator_replacement_is_stored_instead_of_the_artifact(gate: Engine) -> None:
    result = gate.generate(
        {"generator": "echo", "prompt": "hi", "seed": 1, "evaluators": ["shout", "length"]}
    )
    [artifact] = result.generations[0].artifacts
    assert artifact.text == "HI W1-0 W1-1 W1-2"
    assert artifact.metadata["replaced_by"] == {
        "evaluator": "shout",
        "metric": "shout",
        "reason": "shouted",
        "original_sha256": sha256_hex(b"hi w1-0 w1-1 w1-2"),
    }
    assert gate.store.read_artifact(artifact.id) == b"HI W1-0 W1-1 W1-2"
    assert [e.metric for e in result.generations[0].evaluations] == ["shout", "length"]


def test_a_replacement_of_another_media_type_is_an_evaluator_error(gate: Engine) -> None:
    result = gate.generate({"generator": "echo", "prompt": "hi", "seed": 1, "evaluators": ["shout-as-html"]})
    generation = result.generations[0]
    assert generation.artifacts[0].text == "hi w1-0 w1-1 w1-2"
    assert "replaced a text/plain artifact with text/html" in (generation.evaluations[0].error or "")
    assert generation.status == "rejected"


def test_broken_evaluators_do_not_stop_the_text_evaluators(gate: Engine) -> None:
    result = gate.generate(
        {
            "generator": "echo",
            "prompt": "the same words the same words",
            "n": 2,
            "seed": 3,
            "evaluators": ["text-repetition", "eval-raise", "eval-hang", "eval-nan", "text-safety"],
        }
    )
    assert result.status == "completed"
    for generation in result.generations:
        by_evaluator = {e.evaluator: e for e in generation.evaluations}
        assert by_evaluator["text-repetition"].error is None
        assert by_evaluator["text-safety"].passed is True
        assert by_evaluator["eval-raise"].error and "evaluator bug" in by_evaluator["eval-raise"].error
        assert by_evaluator["eval-hang"].error and "did not finish" in by_evaluator["eval-hang"].error
        assert by_evaluator["eval-nan"].error and "finite" in by_evaluator["eval-nan"].error
        assert generation.status == "rejected"
        assert len(generation.reasons) == 3
