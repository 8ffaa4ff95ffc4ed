"""``markov`` passes aigc's conformance suite, matches its counted chain, and only walks seen bigrams."""

from __future__ import annotations

import json
from importlib.metadata import version

import numpy as np
from aigc_markov import MODEL_DIR, VERSION
from aigc_markov.corpus import START, transition_log_probs, vocabulary, words, zen_lines

from aigc.core import Engine
from aigc.core.sdk import ModelRuntime
from aigc.testing import generator_conformance

TestConformance = generator_conformance("markov")


def test_the_generator_and_its_manifest_carry_the_package_version() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    assert VERSION == version("aigc-markov") == manifest["version"]  # after a bump, re-run export.py


def test_the_onnx_graph_holds_the_counted_chain(aigc_runtime: ModelRuntime) -> None:
    lines = zen_lines()
    vocab = vocabulary(lines)
    assert json.loads((MODEL_DIR / "vocab.json").read_text()) == vocab
    session = aigc_runtime.session(MODEL_DIR, "model.onnx")
    logits = session.run({"token": np.arange(len(vocab), dtype=np.int64)})["logits"]
    np.testing.assert_allclose(logits, transition_log_probs(lines, vocab), atol=1e-6)


def test_every_generated_word_pair_occurs_in_the_zen(aigc_engine: Engine) -> None:
    seen = {(a, b) for line in zen_lines() for a, b in zip([START, *words(line)], words(line), strict=False)}
    result = aigc_engine.generate({"generator": "markov", "options": {"words": 60}, "n": 4, "seed": 3})
    for generation in result.generations:
        for line in (generation.artifacts[0].text or "").splitlines():
            pairs = zip([START, *words(line)], words(line), strict=False)
            assert set(pairs) <= seen, line


def test_a_prompt_ending_in_a_known_word_is_continued_from_it(aigc_engine: Engine) -> None:
    successors = {
        b for line in zen_lines() for a, b in zip(words(line), words(line)[1:], strict=False) if a == "is"
    }
    result = aigc_engine.generate({"generator": "markov", "prompt": "Beautiful is", "seed": 1})
    text = result.generations[0].artifacts[0].text or ""
    assert text.startswith("Beautiful is ")
    assert words(text)[2] in successors
