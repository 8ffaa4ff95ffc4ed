"""Evaluators are offered only the media types they declare: the text evaluators never score the
note names that music-transformer writes as text (``text/x-note-names``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import pytest

from aigc.core import ArtifactData, GeneratorInput, GeneratorSpec, hookimpl
from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.preparation import prepare
from aigc.core.runtime import ModelRuntime
from aigc.plugins import text_diversity, text_safety
from tests.core.plugin_doubles import EchoGenerator, EchoOptions, _text_generator

TEXT_EVALUATORS = ("text-perplexity", "text-relevance", "text-diversity", "text-safety", "text-memorization")
PHONE = "call 020 7946 0958"  # what text-safety reports wherever it looks
NOTE_NAMES = "text/x-note-names"


class ProseAndNotes(EchoGenerator):
    """The echo generator's text, and note names beside it."""

    def generate(
        self, inputs: Sequence[GeneratorInput], options: EchoOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        notes = ArtifactData(NOTE_NAMES, text=f"C4 E4 G4 {PHONE}")
        return [[*sample, notes] for sample in super().generate(inputs, options, seeds)]


class ProseAndNotesPlugin:
    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        spec = _text_generator("prose-and-notes", lambda context: ProseAndNotes())
        register(replace(spec, media_types=("text/plain", NOTE_NAMES)))


@pytest.mark.parametrize("name", TEXT_EVALUATORS)
def test_a_text_evaluator_is_refused_for_music_transformer(name: str) -> None:
    registry = PluginRegistry.from_entry_points()
    assert "music-transformer" in registry.generators and name in registry.evaluators
    with pytest.raises(InvalidRequestError) as caught:
        prepare(registry, {"generator": "music-transformer", "evaluators": [name]})
    [error] = caught.value.errors
    assert error["field"] == "evaluators[0].name" and "accepts text/plain, but" in str(error["message"])


@pytest.fixture
def engine(settings: Settings, runtime: ModelRuntime) -> Iterator[Engine]:
    registry = PluginRegistry()
    for plugin, name in [
        (ProseAndNotesPlugin(), "prose"),
        (text_safety, "text-safety"),
        (text_diversity, "d"),
    ]:
        assert registry.add(plugin, name)
    with Engine(settings, registry=registry, runtime=runtime) as engine:
        yield engine


def test_note_names_beside_prose_are_not_scored_by_text_evaluators(engine: Engine) -> None:
    result = engine.generate(
        {
            "generator": "prose-and-notes",
            "prompt": PHONE,
            "n": 2,
            "seed": 1,  # a random seed's digits in the prose can read as a card number (Luhn-valid)
            "evaluators": ["text-safety", "text-diversity"],
        }
    )
    for generation in result.generations:
        prose, notes = generation.artifacts
        assert notes.media_type == NOTE_NAMES
        assert {e.artifact_id for e in generation.evaluations} == {prose.id}
        [pii] = [e for e in generation.evaluations if e.metric == "pii"]
        assert pii.value == 1
    assert result.set_evaluations and all(s.sample_count == 2 for s in result.set_evaluations)
