"""Fine-tuning pieces: GGUF weights in and out, examples encoded as the generator encodes prompts,
seeded training, and clear errors. Needs the ``train`` extra (torch, transformers, peft, gguf)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigc.core.errors import InvalidRequestError
from aigc.core.tuning.examples import TuningExample, read_dataset
from aigc.core.tuning.tune import TrainingUnavailableError, require_training
from tests.fixtures.tiny_gguf import CHAT_TEMPLATE, write_tiny_gguf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("tune") / "tiny.gguf", "F32")


def test_weights_read_from_gguf_are_transformers_own(tiny: Path) -> None:
    from aigc.core.gguf import read_gguf
    from aigc.core.tuning.gguf_weights import hf_state_dict

    reference = transformers.AutoModelForCausalLM.from_pretrained(
        tiny.parent, gguf_file=tiny.name, torch_dtype=torch.float32
    )
    theirs = reference.state_dict()
    ours = hf_state_dict(read_gguf(tiny))
    assert set(ours) <= set(theirs)
    for name, values in ours.items():
        np.testing.assert_allclose(values, theirs[name].numpy(), atol=1e-6, err_msg=name)


def test_weights_written_back_reread_bit_for_bit_with_the_same_metadata(tiny: Path, tmp_path: Path) -> None:
    from aigc.core.gguf import read_gguf
    from aigc.core.tuning.gguf_weights import hf_state_dict, write_tuned_gguf

    source = read_gguf(tiny)
    written = read_gguf(write_tuned_gguf(source, hf_state_dict(source), tmp_path / "out.gguf", "tuned"))
    assert written.name == "tuned" and written.config == source.config
    assert {k: v for k, v in written.metadata.items() if not k.startswith(("GGUF.", "general.name"))} == {
        k: v for k, v in source.metadata.items() if not k.startswith(("GGUF.", "general.name"))
    }
    for name, tensor in source.tensors.items():
        np.testing.assert_array_equal(written.tensors[name].dequantized(), tensor.dequantized(), err_msg=name)


def test_quantized_weights_are_written_as_q8_0_blocks_where_the_source_had_blocks(tmp_path: Path) -> None:
    import gguf
    from gguf.quants import dequantize

    from aigc.core.gguf import read_gguf
    from aigc.core.tuning.gguf_weights import hf_state_dict, tensor_names, write_tuned_gguf

    source = read_gguf(write_tiny_gguf(tmp_path / "q4_1.gguf", "Q4_1"))
    state = hf_state_dict(source)
    written = read_gguf(write_tuned_gguf(source, state, tmp_path / "out.gguf", "tuned", quantize=True))
    reader = gguf.GGUFReader(str(tmp_path / "out.gguf"))  # llama.cpp's own reader, as a reference
    raw = {tensor.name: tensor for tensor in reader.tensors}
    for gguf_name, hf_name, heads in tensor_names(source):
        expected = "Q8_0" if source.tensors[gguf_name].type_name in ("Q4_1", "Q8_0") else "F32"
        assert written.tensors[gguf_name].type_name == expected, gguf_name
        theirs = dequantize(raw[gguf_name].data, raw[gguf_name].tensor_type).reshape(
            raw[gguf_name].data.shape[0], -1
        )
        np.testing.assert_array_equal(written.tensors[gguf_name].dequantized().reshape(theirs.shape), theirs)
        if heads is None:  # rows as transformers lays them out: 8-bit blocks stay within 1% of the weights
            np.testing.assert_allclose(
                theirs.reshape(state[hf_name].shape), state[hf_name], atol=0.01 * np.abs(state[hf_name]).max()
            )


def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json"))


@pytest.fixture(scope="module")
def converted(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aigc.core.gguf import convert_gguf

    return convert_gguf(tiny, tmp_path_factory.mktemp("converted") / "tiny", "fp32")


def test_only_the_completion_and_end_of_text_are_learnt(converted: Path) -> None:
    from aigc.core.decoding.chat import ChatTemplate
    from aigc.core.specs import ChatMessage
    from aigc.core.tuning.training import _batch, encode_examples

    tokenizer, template = _tokenizer(converted), ChatTemplate(CHAT_TEMPLATE)
    examples = [
        TuningExample(prompt="the quick", completion=" brown fox"),
        TuningExample(messages=(ChatMessage(role="user", content="hi"),), completion="a model"),
    ]
    plain, chat = encode_examples(examples, tokenizer, template, 2, 64)
    prompt_ids = tokenizer.encode("the quick", add_special_tokens=True).ids
    assert plain.ids == [*prompt_ids, *tokenizer.encode(" brown fox", add_special_tokens=False).ids, 2]
    assert plain.context == len(prompt_ids)
    rendered = template.render(examples[1].messages or ())
    assert chat.context == len(tokenizer.encode(rendered, add_special_tokens=False).ids)
    _, mask, labels = _batch([plain, chat])
    assert (
        labels[0, : plain.context].eq(-100).all() and labels[0, plain.context : len(plain.ids)].ne(-100).all()
    )
    assert mask[0].sum() == len(plain.ids) and labels[0, len(plain.ids) :].eq(-100).all()


def test_the_loss_is_transformers_own_on_the_learnt_tokens(tiny: Path) -> None:
    from aigc.core.gguf import read_gguf
    from aigc.core.gguf.convert import hf_config
    from aigc.core.tuning.gguf_weights import hf_state_dict
    from aigc.core.tuning.training import EncodedExample, _batch, _llama, completion_loss

    model = read_gguf(tiny)
    llama = _llama(hf_state_dict(model), hf_config(model))
    batch = _batch([EncodedExample([1, 5, 6, 7, 8, 2], 2), EncodedExample([1, 9, 10, 2], 1)])  # padded
    expected = llama(input_ids=batch[0], attention_mask=batch[1], labels=batch[2]).loss
    actual = completion_loss(llama, *batch)
    assert actual.item() == pytest.approx(expected.item(), rel=1e-5)
    actual.backward()
    assert llama.model.layers[0].mlp.up_proj.weight.grad.abs().sum() > 0


def test_batches_group_similar_lengths_and_change_every_epoch() -> None:
    import random

    from aigc.core.tuning.training import EncodedExample, length_grouped_batches

    lengths = random.Random(0).choices(range(2, 200), k=203)
    examples = [EncodedExample(list(range(n)), 1) for n in lengths]
    shuffler = random.Random(1)
    first, second = (length_grouped_batches(examples, 4, shuffler) for _ in range(2))
    for batches in (first, second):
        assert sorted(i for batch in batches for i in batch) == list(range(203))
        assert sorted(len(batch) for batch in batches) == [3] + [4] * 50  # 203 = 50 * 4 + 3

    def padding(batches: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)

    unsorted = [list(range(start, min(start + 4, 203))) for start in range(0, 203, 4)]
    assert padding(first) < padding(unsorted) / 4
    assert first != second


def test_a_conversation_needs_a_chat_template_and_room_to_learn(converted: Path) -> None:
    from aigc.core.specs import ChatMessage
    from aigc.core.tuning.training import encode_examples

    chat = TuningExample(messages=(ChatMessage(role="user", content="hi"),), completion="x")
    with pytest.raises(InvalidRequestError, match="no chat template"):
        encode_examples([chat], _tokenizer(converted), None, 2, 64)
    long = TuningExample(prompt="the quick brown fox jumps over the lazy dog", completion="x")
    with pytest.raises(InvalidRequestError, match="no example has a completion within 4 tokens"):
        encode_examples([long], _tokenizer(converted), None, 2, 4)


def _tune(tiny: Path, method: str, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    from aigc.core.gguf import read_gguf
    from aigc.core.gguf.convert import hf_config
    from aigc.core.tuning.gguf_weights import hf_state_dict
    from aigc.core.tuning.training import EncodedExample, Hyperparameters, fine_tune

    model = read_gguf(tiny)
    state = hf_state_dict(model)
    examples = [EncodedExample([1, 5, 6, 7, 8, 2], 2), EncodedExample([1, 9, 10, 2], 1)]
    settings = Hyperparameters(method=method, epochs=2, learning_rate=0.01, batch_size=1)  # type: ignore[arg-type]
    return state, fine_tune(state, hf_config(model), examples, settings, seed)


def test_full_fine_tuning_is_seeded(tiny: Path) -> None:
    base, first = _tune(tiny, "full", seed=3)
    _, again = _tune(tiny, "full", seed=3)
    _, other = _tune(tiny, "full", seed=4)  # another order of examples
    assert all(np.array_equal(first[name], again[name]) for name in base)
    assert any(not np.array_equal(first[name], other[name]) for name in base)
    assert not np.allclose(
        first["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"]
    )


def test_lora_changes_only_the_adapted_projections(tiny: Path) -> None:
    base, tuned = _tune(tiny, "lora", seed=0)
    assert set(tuned) >= set(base)
    changed = {name for name in base if not np.array_equal(base[name], tuned[name])}
    assert changed and all(name.endswith("_proj.weight") for name in changed)
    assert "model.embed_tokens.weight" not in changed


def test_a_bad_dataset_line_is_named(tmp_path: Path) -> None:
    dataset = tmp_path / "data.jsonl"
    dataset.write_text(
        json.dumps({"prompt": "a", "completion": "b"}) + "\n" + json.dumps({"prompt": "c"}) + "\n"
    )
    with pytest.raises(
        InvalidRequestError,
        match=r"not a fine-tuning example: completion: Field required \(got '.*data.jsonl:2'\)",
    ) as caught:
        read_dataset(dataset)
    assert caught.value.errors[0]["field"] == "dataset"
    with pytest.raises(InvalidRequestError, match="aigc dump --dataset"):
        read_dataset(tmp_path / "missing.jsonl")


def test_without_the_train_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "peft" else real(name))
    with pytest.raises(TrainingUnavailableError, match=r"peft missing\): pip install 'aigc\[train\]'"):
        require_training()


def test_a_recorded_version_whose_files_changed_is_never_overwritten(tiny: Path, tmp_path: Path) -> None:
    from aigc.core.registered_models import register_gguf
    from aigc.core.tuning.training import Hyperparameters
    from aigc.core.tuning.tune import tune
    from aigc.storage.store import Store

    models_file, models_dir = tmp_path / "models.json", tmp_path / "models"
    register_gguf(models_file, tiny, "tiny", models_dir, "quantized")
    dataset = tmp_path / "data.jsonl"
    dataset.write_text(json.dumps({"prompt": "the quick", "completion": " brown fox"}) + "\n")
    with Store(f"sqlite:///{tmp_path / 'aigc.db'}", str(tmp_path / "blobs")) as store:
        settings = Hyperparameters(method="full", epochs=1)

        def run(version: str | None = None) -> Any:
            return tune(
                models_file, models_dir, store.model_versions, dataset=dataset, model="tiny",
                hyperparameters=settings, seed=0, version=version, base=tiny,
            )  # fmt: skip

        with pytest.raises(InvalidRequestError, match="must match") as caught:
            run("Not A Name")
        assert caught.value.errors[0]["field"] == "version" and sorted(models_dir.iterdir()) == [
            models_dir / "tiny"
        ]
        made = run()
        assert made.created and not run().created
        (Path(made.version.path) / "config.json").write_text("{}")
        with pytest.raises(InvalidRequestError, match=r"files are not what was recorded.*config\.json"):
            run()


def test_an_installed_but_unregistered_model_is_named_with_the_command_that_registers_it(
    tmp_path: Path,
) -> None:
    from aigc.core.tuning.training import Hyperparameters
    from aigc.core.tuning.tune import tune
    from aigc.storage.store import Store

    models_file, models_dir = tmp_path / "models.json", tmp_path / "models"
    installed = models_dir / "smollm2" / "quantized"  # what `aigc models install smollm2` writes
    installed.mkdir(parents=True)
    (installed / "conversion.json").write_text("{}")
    dataset = tmp_path / "data.jsonl"
    dataset.write_text(json.dumps({"prompt": "the quick", "completion": " brown fox"}) + "\n")
    with Store(f"sqlite:///{tmp_path / 'aigc.db'}", str(tmp_path / "blobs")) as store:
        for model, expected in (
            ("smollm2", f"aigc models add {installed} --name smollm2-chat"),
            ("nothing", "register one with `aigc models add PATH --name NAME`"),
        ):
            with pytest.raises(InvalidRequestError) as caught:
                tune(
                    models_file, models_dir, store.model_versions, dataset=dataset, model=model,
                    hyperparameters=Hyperparameters(), seed=0,
                )  # fmt: skip
            assert caught.value.errors[0]["field"] == "model" and expected in str(caught.value)
