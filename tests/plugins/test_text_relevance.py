"""``text-relevance``: exported once from the PyPI model, equal to sentence-transformers, served
without torch, plausible similarities, and a clear error without the ``relevance`` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigc.core.errors import PluginLoadError
from aigc.core.manifest import MANIFEST_NAME, load_manifest
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext, Settings
from aigc.core.specs import ArtifactData, EvalItem
from aigc.plugins import text_relevance
from aigc.plugins.text_relevance.options import RelevanceOptions

TEXTS = [
    "In the beginning God created the heaven and the earth.",
    "A hacker is a person who enjoys exploring the details of programmable systems.",
    "x",
    "word " * 400,  # longer than the 256-token window: truncated identically by both
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sentence_transformers")
    return text_relevance.ensure_exported(tmp_path_factory.mktemp("relevance") / text_relevance.VERSION)


@pytest.fixture(scope="module")
def evaluator(exported: Path):  # type: ignore[no-untyped-def]
    return text_relevance.build_evaluator(PluginContext(ModelRuntime()), exported)


def test_export_writes_a_manifest_with_dynamic_batch_and_sequence(exported: Path) -> None:
    manifest = load_manifest(exported)
    assert set(manifest.files) == {"model.onnx", "tokenizer.json"}
    model = manifest.files["model.onnx"]
    assert [(t.name, t.shape) for t in model.outputs] == [
        ("sentence_embedding", [model.outputs[0].shape[0], 384])
    ]
    assert all(isinstance(dim, str) for t in model.inputs for dim in t.shape)


def test_embeddings_equal_sentence_transformers(evaluator) -> None:  # type: ignore[no-untyped-def]
    from aigc.plugins.text_relevance.export import load_sentence_transformer

    reference = load_sentence_transformer().encode(TEXTS)
    ours = evaluator.encoder.encode(TEXTS)
    assert np.abs(ours - reference).max() < 1e-5
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def _relevance(evaluator, prompt: str, texts: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    items = [EvalItem(ArtifactData("text/plain", text=t), prompt, "test", {}) for t in texts]
    return [r[0].value for r in evaluator.evaluate(items, RelevanceOptions())]


def test_related_text_scores_higher_than_unrelated_text(evaluator) -> None:  # type: ignore[no-untyped-def]
    related, unrelated = _relevance(
        evaluator,
        "How did God create the world?",
        ["God made the heavens and the earth in six days.", "My printer jams whenever the paper is damp."],
    )
    assert related > 0.5 > 0.2 > unrelated
    same = _relevance(evaluator, "a cat on a mat", ["a cat on a mat"])[0]
    assert same == pytest.approx(1.0, abs=1e-5)


def test_min_similarity_gives_a_verdict_and_a_missing_prompt_an_error(evaluator) -> None:  # type: ignore[no-untyped-def]
    items = [
        EvalItem(ArtifactData("text/plain", text="cats and dogs"), "pets", "test", {}),
        EvalItem(ArtifactData("text/plain", text="cats and dogs"), None, "test", {}),
    ]
    [first], [second] = evaluator.evaluate(items, RelevanceOptions(min_similarity=0.99))
    assert first.passed is False and 0 <= first.score <= 1
    assert second.error == "no prompt to compare with"


def test_the_exported_model_serves_without_torch(exported: Path) -> None:
    script = (
        "import sys; sys.modules['torch'] = None\n"
        "from pathlib import Path\n"
        "from aigc.core.sdk import ModelRuntime, PluginContext\n"
        "from aigc.plugins.text_relevance import build_evaluator\n"
        f"e = build_evaluator(PluginContext(ModelRuntime()), Path({str(exported)!r}))\n"
        "print(e.encoder.encode(['hello world']).shape)\n"
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "(1, 384)"


def test_a_missing_extra_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    monkeypatch.delitem(sys.modules, "aigc.plugins.text_relevance.export", raising=False)
    with pytest.raises(PluginLoadError, match=r"pip install 'aigc\[relevance\]'"):
        text_relevance.build_evaluator(PluginContext(ModelRuntime()), tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_the_model_lives_in_the_engines_data_folder(tmp_path: Path) -> None:
    context = PluginContext(settings=Settings(data_dir=tmp_path))
    assert (
        text_relevance.model_folder(context)
        == tmp_path / "models" / "text-relevance" / text_relevance.VERSION
    )


def test_an_exported_folder_is_reused(exported: Path) -> None:
    before = (exported / MANIFEST_NAME).stat().st_mtime_ns
    assert text_relevance.ensure_exported(exported) == exported
    assert (exported / MANIFEST_NAME).stat().st_mtime_ns == before
