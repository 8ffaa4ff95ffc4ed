"""``text-safety`` through the engine: which spans matched, must-not policies, redaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.core.specs import ArtifactData, EvalItem
from aigc.plugins.text_safety.evaluator import SafetyEvaluator
from aigc.plugins.text_safety.options import SafetyOptions
from tests.core.plugin_doubles import DoublesPlugin

LEAK = "mail jane@example.org, card 4111-1111-1111-1111, you b.i.t.c.h"


def _evaluate(text: str, **options: object) -> dict[str, object]:
    item = EvalItem(ArtifactData("text/plain", text=text), None, "test", {})
    [results] = SafetyEvaluator().evaluate([item], SafetyOptions.model_validate(options))
    return {r.metric: r for r in results}


def test_results_name_the_matched_spans_but_not_the_matched_text() -> None:
    results = _evaluate(LEAK)
    pii, profanity = results["pii"], results["profanity"]
    assert (pii.value, pii.passed, pii.score) == (2, False, 0.0)
    assert pii.details["spans"] == [
        {"start": 5, "end": 21, "kind": "email"},
        {"start": 28, "end": 47, "kind": "credit_card"},
    ]
    assert profanity.details["spans"] == [{"start": 53, "end": 62, "kind": "profanity"}]
    assert pii.reason == "found: 1 credit_card, 1 email"
    assert "jane" not in str(pii.model_dump())


def test_clean_text_passes_every_check() -> None:
    results = _evaluate("And God said, Let there be light: and there was light.", deny=["darkness"])
    assert {m: (r.passed, r.value) for m, r in results.items()} == {
        "profanity": (True, 0),
        "pii": (True, 0),
        "deny_list": (True, 0),
    }


def test_deny_list_and_allow_list_are_configurable() -> None:
    results = _evaluate("The Project Falcon launch; go to hell", deny=["project falcon"], allow=[])
    assert results["deny_list"].details["spans"] == [{"start": 4, "end": 18, "kind": "denied"}]
    assert results["profanity"].value == 1  # "hell" is allowed by default only
    assert _evaluate("go to hell")["profanity"].value == 0


def test_checks_can_be_switched_off() -> None:
    assert set(_evaluate(LEAK, profanity=False, pii=["ipv4"])) == {"pii"}


@pytest.fixture
def gate(settings: Settings, runtime: ModelRuntime) -> Iterator[Engine]:
    doubles = DoublesPlugin()
    registry = PluginRegistry.from_entry_points()
    registry.add(doubles, "doubles")
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        yield engine
    doubles.release.set()


def test_unsafe_text_is_rejected_with_the_reason_stored(gate: Engine) -> None:
    result = gate.generate({"generator": "echo", "prompt": LEAK, "seed": 1, "evaluators": ["text-safety"]})
    stored = gate.store.get_generation(result.generations[0].id)
    assert stored.status == "rejected"
    assert "text-safety/pii: found: 1 credit_card, 1 email" in stored.reasons


def test_a_must_not_threshold_rejects_even_when_verdicts_are_not_required(gate: Engine) -> None:
    policy = {"require_passed": False, "thresholds": {"text-safety/pii": {"max": 0, "on": "value"}}}
    request = {"generator": "echo", "seed": 1, "evaluators": ["text-safety"], "policy": policy}
    assert gate.generate(request | {"prompt": LEAK}).generations[0].reasons == [
        "text-safety/pii: value 2 > max 0"
    ]
    assert gate.generate(request | {"prompt": "a clean prompt"}).generations[0].status == "accepted"


def test_redaction_stores_the_redacted_text_and_keeps_the_reason(gate: Engine) -> None:
    result = gate.generate(
        {
            "generator": "echo",
            "prompt": LEAK,
            "seed": 1,
            "evaluators": [{"name": "text-safety", "options": {"redact": True}}],
        }
    )
    generation = result.generations[0]
    [artifact] = generation.artifacts
    assert artifact.text == "mail [EMAIL], card [CREDIT_CARD], you [PROFANITY] w1-0 w1-1 w1-2"
    assert gate.store.read_artifact(artifact.id).decode() == artifact.text
    assert artifact.metadata["replaced_by"]["evaluator"] == "text-safety"
    assert artifact.metadata["replaced_by"]["reason"] == "3 spans replaced by [KIND]"
    by_metric = {e.metric: e for e in generation.evaluations}
    assert by_metric["pii"].reason == "redacted: 1 credit_card, 1 email" and by_metric["pii"].value == 2
    assert generation.status == "accepted"


def test_options_are_validated_with_the_field_named(gate: Engine) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        gate.generate(
            {"generator": "echo", "evaluators": [{"name": "text-safety", "options": {"pii": ["ssn"]}}]}
        )
    assert caught.value.errors[0]["field"] == "evaluators[0].options.pii[0]"


@pytest.mark.parametrize(("region", "message"), [("XX", "unknown region 'XX'"), ("fr", "pattern")])
def test_phone_regions_must_be_known_region_codes(gate: Engine, region: str, message: str) -> None:
    options = {"phone_regions": ["FR", region]}
    with pytest.raises(InvalidRequestError) as caught:
        gate.generate({"generator": "echo", "evaluators": [{"name": "text-safety", "options": options}]})
    [error] = caught.value.errors
    assert error["field"] == "evaluators[0].options.phone_regions[1]" and message in str(error["message"])


def test_phone_regions_choose_the_national_formats_recognised() -> None:
    text = "ring 01 42 68 53 00"
    assert _evaluate(text, phone_regions=["FR"])["pii"].value == 1
    assert _evaluate(text, phone_regions=["US"])["pii"].value == 0
