"""``text-memorization``: a passage copied from the training corpus is found and flagged, fresh
text is not; the committed index matches its manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aigc.core.errors import ModelIntegrityError
from aigc.core.manifest import load_manifest
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.text_memorization import INDEX_DIR, INDEX_FILE, build_evaluator
from aigc.plugins.text_memorization.options import MemorizationOptions

# Genesis 1:1-5 (King James Bible), in the text-transformer training split: 79 word tokens.
COPIED = (
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
    "and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the "
    "waters. And God said, Let there be light: and there was light. And God saw the light, that it "
    "was good: and God divided the light from the darkness. And God called the light Day, and the "
    "darkness he called Night."
)
FRESH = (
    "My neighbour's robot insists on watering the cactus every Tuesday, although nobody has ever "
    "explained to it why the cactus hums quietly whenever the kettle boils in the kitchen downstairs."
)


@pytest.fixture(scope="module")
def evaluator():  # type: ignore[no-untyped-def]
    return build_evaluator(PluginContext(ModelRuntime()))


def _results(evaluator, text: str, **options: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    item = EvalItem(ArtifactData("text/plain", text=text), None, "text-transformer", {})
    [results] = evaluator.evaluate([item], MemorizationOptions.model_validate(options))
    return {r.metric: r for r in results}


def test_a_planted_copied_passage_is_found_and_flagged(evaluator) -> None:  # type: ignore[no-untyped-def]
    text = f"Here is a story of my own about a quiet robot. {COPIED} That is where my borrowing ends, friend."
    results = _results(evaluator, text)
    span = results["verbatim_span"]
    assert span.value == len(words(COPIED)) == 79
    assert span.passed is False and span.details["start_token"] == 11
    assert span.reason == "longest verbatim run 79 tokens (limit 50)"
    # 97 tokens, 90 8-grams, of which the 72 inside the passage are in the corpus.
    assert results["ngram_overlap"].details == {"n": 8, "ngrams": 90, "found": 72}


def test_fresh_text_is_not_flagged(evaluator) -> None:  # type: ignore[no-untyped-def]
    results = _results(evaluator, FRESH)
    assert results["verbatim_span"].value < 12 and results["verbatim_span"].passed is True
    assert results["ngram_overlap"].value < 0.1


def test_the_limits_are_options(evaluator) -> None:  # type: ignore[no-untyped-def]
    assert _results(evaluator, COPIED, max_span=100)["verbatim_span"].passed is True
    assert _results(evaluator, COPIED, max_share=0.5)["ngram_overlap"].passed is False
    short = _results(evaluator, "In the beginning God")  # fewer tokens than an 8-gram: nothing copied
    assert (short["ngram_overlap"].value, short["verbatim_span"].value) == (0.0, 0)
    assert short["verbatim_span"].passed is True
    assert _results(evaluator, "...")["ngram_overlap"].error == "no word tokens to compare"


def test_the_index_matches_its_manifest_and_corpus() -> None:
    manifest = load_manifest(INDEX_DIR)
    assert manifest.training["corpus"]["sha256"] == (
        "3644f2583b24d4c5c8455142bacc2cbcae2857b9f87c3f09e59696264f7682a4"  # text-transformer train.txt
    )
    assert manifest.files[INDEX_FILE].size < 8_000_000


def test_a_modified_index_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(INDEX_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with (folder / INDEX_FILE).open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x00" if handle.read(1) != b"\x00" else b"\x01")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        build_evaluator(PluginContext(ModelRuntime()), folder)
