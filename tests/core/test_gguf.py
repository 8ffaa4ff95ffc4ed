"""GGUF → ONNX conversion, checked against transformers reading the same GGUF file.

The files are tiny random Llamas written by ``tests/fixtures/tiny_gguf.py`` in every supported
weight type; transformers' own GGUF loader (``gguf_file=``) dequantises them and is the reference
forward. Needs the ``bench`` extra (transformers, torch, gguf) and the ``chat`` extra (onnx).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aigc.core.decoding import SamplingParams, StaticCacheLM
from aigc.core.gguf import UnsupportedGgufError, convert_gguf, read_gguf
from aigc.core.gguf.weights import BLOCK, block_weight, float_weight
from aigc.core.model_install import write_folder_manifest
from aigc.core.runtime import ModelRuntime
from tests.fixtures.tiny_gguf import CHAT_TEMPLATE, KV_HEADS, write_tiny_gguf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytest.importorskip("onnx")

WEIGHT_TYPES = ("F32", "F16", "Q8_0", "Q4_0", "Q4_1")
PROMPTS = ([5, 9, 33, 47, 101, 7], [12, 200, 3], list(range(20, 60)))


@pytest.fixture(scope="module", params=WEIGHT_TYPES)
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(f"gguf-{request.param}")
    return write_tiny_gguf(folder / "tiny.gguf", request.param)


@pytest.fixture(scope="module")
def reference(tiny: Path) -> object:
    """transformers' model read from the same file (its own dequantisation and Q/K unpermutation)."""
    return transformers.AutoModelForCausalLM.from_pretrained(
        tiny.parent, gguf_file=tiny.name, torch_dtype=torch.float32
    ).eval()


def load(folder: Path, runtime: ModelRuntime) -> StaticCacheLM:
    write_folder_manifest(folder, "tiny", "1", {})
    session = runtime.session(folder, "model.onnx")
    config = json.loads((folder / "config.json").read_text())
    return StaticCacheLM(
        session, config["max_position_embeddings"], None, (config["num_key_value_heads"], 16)
    )


def reference_logits(reference: object, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return reference(torch.tensor([ids])).logits[0].numpy()  # type: ignore[operator]


@pytest.mark.parametrize("variant", ["fp32", "quantized"])
def test_logits_match_transformers_reading_the_same_file(
    tiny: Path, reference: object, variant: str, runtime: ModelRuntime, tmp_path: Path
) -> None:
    model = load(convert_gguf(tiny, tmp_path / variant, variant), runtime)  # type: ignore[arg-type]
    for ids in PROMPTS:
        expected = reference_logits(reference, ids)
        log_probs = model.token_log_probs([[*ids, 0]])[0]  # scores every position of ids
        got = expected - expected.max(-1, keepdims=True)
        got = got - np.log(np.exp(got).sum(-1, keepdims=True))
        target = np.asarray([*ids[1:], 0])
        # fp32 computes the same float32 weights; the quantized graph also quantises activations to
        # 8 bits inside MatMulNBits (as llama.cpp does), so it is close rather than equal.
        tolerance = 1e-4 if variant == "fp32" else 5e-2
        np.testing.assert_allclose(log_probs, got[np.arange(len(ids)), target], atol=tolerance)


def test_fp32_logits_are_within_1e_4_of_the_reference(
    tiny: Path, reference: object, runtime: ModelRuntime, tmp_path: Path
) -> None:
    model = load(convert_gguf(tiny, tmp_path / "fp32", "fp32"), runtime)
    cache_ids = PROMPTS[0]
    from aigc.core.decoding.static import StaticCache

    cache = StaticCache(model, 1, len(cache_ids))
    logits = model.prefill(cache, [cache_ids], last_only=False)[0]
    assert np.abs(logits - reference_logits(reference, cache_ids)).max() < 1e-4


def test_greedy_continuations_equal_transformers_alone_and_batched(
    tiny: Path, reference: object, runtime: ModelRuntime, tmp_path: Path
) -> None:
    model = load(convert_gguf(tiny, tmp_path / "fp32", "fp32"), runtime)
    expected = []
    for ids in PROMPTS:
        with torch.no_grad():
            out = reference.generate(  # type: ignore[attr-defined]
                torch.tensor([ids]), max_new_tokens=16, min_new_tokens=16, do_sample=False
            )
        expected.append(out[0, len(ids) :].tolist())
    greedy = SamplingParams(temperature=0)
    together = model.batch(list(PROMPTS), [0, 1, 2], greedy, 16).run()
    assert [r.token_ids for r in together] == expected
    assert [model.batch([ids], [0], greedy, 16).run()[0].token_ids for ids in PROMPTS] == expected


def test_sampled_rows_do_not_depend_on_their_batch(tiny: Path, runtime: ModelRuntime, tmp_path: Path) -> None:
    model = load(convert_gguf(tiny, tmp_path / "quantized", "quantized"), runtime)
    params = SamplingParams(temperature=1.0, top_p=0.95)
    together = model.batch(list(PROMPTS), [4, 5, 6], params, 24).run()
    alone = [
        model.batch([ids], [seed], params, 24).run()[0] for ids, seed in zip(PROMPTS, [4, 5, 6], strict=True)
    ]
    assert [r.token_ids for r in together] == [r.token_ids for r in alone]


def test_the_cache_grows_past_its_first_allocation(tiny: Path, runtime: ModelRuntime, tmp_path: Path) -> None:
    """Rows decoded past the initial capacity keep their history (the buffer is copied, not reset)."""
    model = load(convert_gguf(tiny, tmp_path / "fp32", "fp32"), runtime)
    from aigc.core.decoding import static

    greedy = SamplingParams(temperature=0)
    long = model.batch([PROMPTS[0]], [0], greedy, 100).run()[0]
    original = static.INITIAL_NEW_TOKENS
    try:
        static.INITIAL_NEW_TOKENS = 4
        grown = model.batch([PROMPTS[0]], [0], greedy, 100).run()[0]
    finally:
        static.INITIAL_NEW_TOKENS = original
    assert grown.token_ids == long.token_ids


def test_block_weights_hold_the_gguf_values_exactly(tiny: Path) -> None:
    """Unpacking the MatMulNBits initializers gives back the dequantised GGUF weight, bit for bit."""
    model = read_gguf(tiny)
    tensor = model.tensors["blk.0.attn_k.weight"]
    if tensor.type_name not in ("Q4_0", "Q4_1", "Q8_0"):
        pytest.skip("float weights are not block-quantised")
    weight = block_weight(tensor, KV_HEADS)
    n, k = tensor.shape
    if weight.bits == 8:
        codes = weight.packed.astype(np.float32)
        zero = 128.0
    else:
        low, high = weight.packed & 0x0F, weight.packed >> 4
        codes = np.stack([low, high], axis=-1).reshape(n, k // BLOCK, BLOCK).astype(np.float32)
        zero = 8.0 if weight.minimums is None else 0.0
    values = (codes - zero) * weight.scales.reshape(n, k // BLOCK, 1)
    if weight.minimums is not None:
        values = values + weight.minimums[..., None]
    np.testing.assert_array_equal(values.reshape(n, k), float_weight(tensor, KV_HEADS))


def test_tokenizer_matches_transformers_reading_the_gguf(tiny: Path, tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    folder = convert_gguf(tiny, tmp_path / "fp32", "fp32")
    ours = Tokenizer.from_file(str(folder / "tokenizer.json"))
    theirs = transformers.AutoTokenizer.from_pretrained(tiny.parent, gguf_file=tiny.name)
    lines = [
        "the quick brown fox",
        "  leading spaces and 2026 digits 1234567",
        "<|im_start|>user\nhello<|im_end|>\n",
        "naïve café — ünïcödé, 東京, 🙂👍🏽",
        "tabs\tand\nnew lines\r\n  ",
    ]
    for line in lines:
        assert ours.encode(line).ids == theirs(line, add_special_tokens=False).input_ids, line
    assert ours.decode(ours.encode(lines[3]).ids) == lines[3]


def test_chat_template_renders_as_transformers_apply_chat_template(tiny: Path) -> None:
    from aigc.core.decoding.chat import ChatTemplate
    from aigc.core.specs import ChatMessage

    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi [there]"),
        ChatMessage(role="assistant", content="Hello."),
        ChatMessage(role="user", content="Bye"),
    ]
    theirs = transformers.AutoTokenizer.from_pretrained(tiny.parent, gguf_file=tiny.name)
    theirs.chat_template = CHAT_TEMPLATE
    expected = theirs.apply_chat_template(
        [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
    )
    assert ChatTemplate(CHAT_TEMPLATE).render(messages) == expected


@pytest.mark.parametrize(
    ("architecture", "weight_type", "named"),
    [("qwen2", "F32", "'qwen2'"), ("llama", "Q5_1", "Q5_1")],
)
def test_unsupported_files_are_refused_naming_what(
    tmp_path: Path, architecture: str, weight_type: str, named: str
) -> None:
    path = write_tiny_gguf(tmp_path / "odd.gguf", weight_type, architecture)
    with pytest.raises(UnsupportedGgufError) as caught:
        convert_gguf(path, tmp_path / "out", "quantized")
    assert named in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"not a gguf file at all")
    with pytest.raises(UnsupportedGgufError, match="not a readable GGUF file"):
        read_gguf(path)


def test_a_registered_gguf_answers_conversations_through_the_engine(tmp_path: Path, engine: object) -> None:
    """``aigc models add FILE.gguf`` converts and registers; the conversation is stored with the sample."""
    from aigc.core.registered_models import register_gguf

    models_file = engine.context.models_file  # type: ignore[attr-defined]
    source = write_tiny_gguf(tmp_path / "tiny.gguf", "Q4_1")
    model = register_gguf(models_file, source, "tiny", tmp_path / "models", "quantized")
    assert model.format == "optimum" and "model.onnx.data" in model.manifest.files
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "the quick"}]
    request = {
        "generator": "onnx-causal-lm",
        "messages": messages,
        "options": {"model": "tiny", "max_new_tokens": 8, "temperature": 0},
        "seed": 3,
    }
    first = engine.generate(request)  # type: ignore[attr-defined]
    again = engine.generate(request)  # type: ignore[attr-defined]
    (generation,) = first.generations
    assert generation.messages is not None and [m.model_dump() for m in generation.messages] == messages
    assert generation.prompt is None
    assert generation.artifacts[0].text == again.generations[0].artifacts[0].text
    assert generation.key == again.generations[0].key
    stored = engine.store.get_generation(generation.id)  # type: ignore[attr-defined]
    assert [m.role for m in stored.messages] == ["system", "user"]


def test_messages_are_refused_by_generators_that_take_prompts(engine: object) -> None:
    from aigc.core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="messages"):
        engine.generate(  # type: ignore[attr-defined]
            {"generator": "text-transformer", "messages": [{"role": "user", "content": "hi"}]}
        )
    with pytest.raises(InvalidRequestError, match="prompt or messages, not both"):
        engine.generate(  # type: ignore[attr-defined]
            {"generator": "onnx-causal-lm", "prompt": "x", "messages": [{"role": "user", "content": "hi"}]}
        )


def test_converting_without_the_chat_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from aigc.core.errors import ExportError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "gguf" else real(name))
    with pytest.raises(ExportError, match=r"'chat' extra \(gguf missing\)"):
        convert_gguf(tmp_path / "model.gguf", tmp_path / "out", "quantized")
