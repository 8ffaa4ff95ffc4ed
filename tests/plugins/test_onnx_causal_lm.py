"""``onnx-causal-lm`` on folders written by optimum's exporter from random-weight GPT-2 and Llama models.

The fixtures (tests/fixtures/causal_lm/, made by tests/fixtures/make_causal_lm.py) carry the greedy
token ids of transformers' own ``generate`` on the same random models: aigc's decode loop on the
exported ONNX graph must reproduce them exactly, alone and in a left-padded batch. Where torch and
transformers are installed, the random models are also rebuilt from the script's seed and compared live
(transformers 4.57 and 5.23 build identical weights from it).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigc.core.config import Settings
from aigc.core.decoding import DecodeBatch, SamplingParams
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.registered_models import load_registered, register_model
from aigc.core.runtime import ModelRuntime
from aigc.core.specs import GeneratorInput
from aigc.plugins.onnx_causal_lm.generator import OnnxCausalLMGenerator
from aigc.plugins.onnx_causal_lm.options import CausalLMOptions

FIXTURES = Path(__file__).parents[1] / "fixtures" / "causal_lm"
FAMILIES = ("gpt2", "llama")
GREEDY = {"temperature": 0, "top_k": 0, "top_p": 1.0, "repetition_penalty": 1.0}


def expected(family: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FIXTURES / family / "expected.json").read_text())
    return record


@pytest.fixture
def models_file(aigc_settings: Settings) -> Path:
    """The test engine's models file, with both fixtures registered, named by family."""
    path = aigc_settings.resolved_models_file
    for family in FAMILIES:
        register_model(path, FIXTURES / family, family)
    return path


@pytest.fixture
def generator(models_file: Path, aigc_runtime: ModelRuntime) -> OnnxCausalLMGenerator:
    return OnnxCausalLMGenerator(aigc_runtime, models_file)


@pytest.mark.parametrize("family", FAMILIES)
def test_prompts_encode_as_transformers_encodes_them(generator: OnnxCausalLMGenerator, family: str) -> None:
    model = generator.model(family)
    for case in expected(family)["cases"]:
        assert model.prompt_ids(case["prompt"]) == case["prompt_ids"]


@pytest.mark.parametrize("family", FAMILIES)
def test_greedy_output_equals_transformers_generate(generator: OnnxCausalLMGenerator, family: str) -> None:
    record, model = expected(family), generator.model(family)
    for case in record["cases"]:
        batch = DecodeBatch(
            model.model, [case["prompt_ids"]], [0], SamplingParams(temperature=0), record["max_new_tokens"]
        )
        [row] = batch.run()
        assert row.token_ids == case["new_ids"], case["prompt"]
        assert row.finish_reason == ("stop" if case["stopped"] else "length")


@pytest.mark.parametrize("family", FAMILIES)
def test_a_left_padded_batch_gives_each_prompt_its_greedy_output(
    generator: OnnxCausalLMGenerator, family: str
) -> None:
    record, model = expected(family), generator.model(family)
    cases = record["cases"]
    batch = DecodeBatch(
        model.model,
        [c["prompt_ids"] for c in cases],
        list(range(len(cases))),
        SamplingParams(temperature=0),
        record["max_new_tokens"],
    )
    assert [row.token_ids for row in batch.run()] == [c["new_ids"] for c in cases]


@pytest.mark.parametrize("family", FAMILIES)
def test_generated_text_is_the_decoded_greedy_tokens(generator: OnnxCausalLMGenerator, family: str) -> None:
    record = expected(family)
    options = CausalLMOptions(model=family, max_new_tokens=record["max_new_tokens"], **GREEDY)
    prompts = [GeneratorInput(prompt=c["prompt"]) for c in record["cases"]]
    samples = generator.generate(prompts, options, [1, 2, 3])
    tokenizer = generator.model(family).tokenizer
    for [artifact], case in zip(samples, record["cases"], strict=True):
        assert artifact.text == tokenizer.decode(case["new_ids"], skip_special_tokens=True)
        assert artifact.metadata["new_tokens"] == len(case["new_ids"])
        assert artifact.metadata["prompt_tokens"] == len(case["prompt_ids"])


def test_sampling_is_seeded_and_stays_in_the_vocabulary(generator: OnnxCausalLMGenerator) -> None:
    options = CausalLMOptions(model="llama", max_new_tokens=20, temperature=1.0)
    first = generator.generate([GeneratorInput(prompt="Once upon")] * 2, options, [5, 6])
    again = generator.generate([GeneratorInput(prompt="Once upon")] * 2, options, [5, 6])
    assert first == again
    assert first[0][0].text != first[1][0].text  # different seeds, different samples
    assert all(a.metadata["new_tokens"] > 0 for [a] in first)


def test_a_request_records_the_chosen_models_sha256(models_file: Path, aigc_engine: Engine) -> None:
    result = aigc_engine.generate(
        {"generator": "onnx-causal-lm", "prompt": "a", "options": {"model": "llama", **GREEDY}, "seed": 1}
    )
    assert result.status == "completed", result.error
    llama = load_registered(models_file)["llama"]
    assert result.generations[0].model_sha256 == llama.sha256
    assert llama.sha256 not in {entry.sha256 for entry in llama.manifest.files.values()}


def test_an_unknown_model_is_refused_naming_the_option(models_file: Path, aigc_engine: Engine) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        aigc_engine.generate({"generator": "onnx-causal-lm", "prompt": "a", "options": {"model": "nope"}})
    assert raised.value.errors[0]["field"] == "options.model"
    assert "gpt2, llama" in str(raised.value)


def test_a_model_changed_after_registration_is_refused(tmp_path: Path, aigc_engine: Engine) -> None:
    folder = tmp_path / "gpt2"
    shutil.copytree(FIXTURES / "gpt2", folder)
    models_file = aigc_engine.context.models_file
    register_model(models_file, folder, "tampered")
    with (folder / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    result = aigc_engine.generate(
        {"generator": "onnx-causal-lm", "prompt": "a", "options": {"model": "tampered"}}
    )
    assert result.status == "failed"
    assert "model.onnx has sha256" in (result.error or "")


def test_changed_external_weights_of_any_name_are_refused_at_load(
    tmp_path: Path, aigc_engine: Engine
) -> None:
    onnx = pytest.importorskip("onnx")
    folder = tmp_path / "gpt2"
    shutil.copytree(FIXTURES / "gpt2", folder)
    graph = onnx.load(str(folder / "model.onnx"))
    onnx.save_model(
        graph,
        str(folder / "model.onnx"),
        save_as_external_data=True,
        location="weights.bin",
        size_threshold=0,
    )
    models_file = aigc_engine.context.models_file
    register_model(models_file, folder, "external")
    weights = bytearray((folder / "weights.bin").read_bytes())
    weights[-4:] = bytes(4)  # same size, other values: only the hash can tell
    (folder / "weights.bin").write_bytes(weights)
    result = aigc_engine.generate(
        {"generator": "onnx-causal-lm", "prompt": "a", "options": {"model": "external"}}
    )
    assert result.status == "failed"
    assert "weights.bin has sha256" in (result.error or "")
    assert str(tmp_path) not in (result.error or "")  # clients see file names, not server paths


def test_a_symbolic_link_out_of_the_folder_is_refused_at_registration(tmp_path: Path) -> None:
    folder = tmp_path / "gpt2"
    shutil.copytree(FIXTURES / "gpt2", folder)
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the model")
    (folder / "config.json").unlink()
    (folder / "config.json").symlink_to(outside)
    models_file = tmp_path / "models.json"
    with pytest.raises(InvalidRequestError) as raised:
        register_model(models_file, folder, "linked")
    assert raised.value.errors[0]["field"] == "path"
    assert "outside the model folder" in str(raised.value)
    assert not models_file.exists()


def test_registering_a_folder_without_the_exported_files_names_them(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(InvalidRequestError) as raised:
        register_model(tmp_path / "models.json", tmp_path, "broken")
    assert raised.value.errors[0]["field"] == "path"
    assert "config.json, tokenizer.json" in str(raised.value)


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime_genai") is not None, reason="onnxruntime-genai installed"
)
def test_an_onnxruntime_genai_folder_without_the_package_fails_naming_it(
    tmp_path: Path, aigc_engine: Engine
) -> None:
    folder = tmp_path / "genai"
    folder.mkdir()
    shutil.copy(FIXTURES / "llama" / "model.onnx", folder / "model.onnx")
    (folder / "genai_config.json").write_text(json.dumps({"model": {"context_length": 64}}))
    models_file = aigc_engine.context.models_file
    assert register_model(models_file, folder, "genai").format == "onnxruntime-genai"
    result = aigc_engine.generate(
        {"generator": "onnx-causal-lm", "prompt": "a", "options": {"model": "genai"}}
    )
    assert result.status == "failed"
    assert "needs the optional package onnxruntime-genai, which is not installed" in (result.error or "")


@pytest.mark.parametrize("family", FAMILIES)
def test_logits_and_greedy_output_equal_live_transformers(
    generator: OnnxCausalLMGenerator, family: str
) -> None:
    """With transformers and torch installed (the bench and train extras), rebuild the random model from
    the fixture script's seed and compare with it live: prompt logits and greedy tokens."""
    pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from tests.fixtures.make_causal_lm import build, expected_ids

    torch_model, tokenizer = build(family)
    model = generator.model(family)
    for case in expected_ids(torch_model, tokenizer):
        ids = np.asarray([case["prompt_ids"]], dtype=np.int64)
        with torch.no_grad():
            reference = torch_model(torch.from_numpy(ids)).logits.numpy()
        positions = np.arange(ids.shape[1], dtype=np.int64)[None]
        logits, _ = model.model.forward(ids, np.ones_like(ids), positions, model.model.empty_cache(1))
        np.testing.assert_allclose(logits, reference, atol=1e-4)
        steps = expected(family)["max_new_tokens"]
        batch = DecodeBatch(model.model, [case["prompt_ids"]], [0], SamplingParams(temperature=0), steps)
        assert batch.run()[0].token_ids == case["new_ids"]


def test_the_demo_examples_name_a_model_registered_in_the_engines_data_folder(tmp_path: Path) -> None:
    from aigc.core.plugins import PluginRegistry

    settings = Settings(data_dir=tmp_path)
    register_model(settings.resolved_models_file, FIXTURES / "gpt2", "tiny-gpt2")
    [example, *_] = PluginRegistry.from_entry_points(settings).generators["onnx-causal-lm"].examples
    assert example["options"]["model"] == "tiny-gpt2"
    assert (
        PluginRegistry.from_entry_points(Settings(data_dir=tmp_path / "empty"))
        .generators["onnx-causal-lm"]
        .examples
        == ()
    )
