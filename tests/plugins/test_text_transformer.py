"""The ``text-transformer`` generator and ``text-perplexity`` evaluator, on the shipped model."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from aigc.core.decoding import CausalLM, ContextLengthError, DecodeBatch, SamplingParams
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, EvalItem, GeneratorInput
from aigc.plugins.text_perplexity import build_evaluator
from aigc.plugins.text_perplexity.options import PerplexityOptions
from aigc.plugins.text_transformer import MODEL_DIR, ONNX_FILE, build_generator
from aigc.plugins.text_transformer.generator import TextTransformerGenerator
from aigc.plugins.text_transformer.options import TextOptions

HELD_OUT_SAMPLE = (  # Genesis 39 (KJV), a held-out document of the corpus split
    "And Joseph was brought down to Egypt; and Potiphar, an officer of Pharaoh, captain of the guard, "
    "an Egyptian, bought him of the hands of the Ishmeelites, which had brought him down thither. And "
    "the LORD was with Joseph, and he was a prosperous man; and he was in the house of his master the "
    "Egyptian."
)
GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0}


@pytest.fixture(scope="module")
def generator(runtime: ModelRuntime) -> TextTransformerGenerator:
    built = build_generator(PluginContext(runtime))
    assert isinstance(built, TextTransformerGenerator)
    return built


def texts(
    gen: TextTransformerGenerator, prompts: list[str], seeds: list[int], **options: object
) -> list[str]:
    out = gen.generate([GeneratorInput(p) for p in prompts], TextOptions(**options), seeds)  # type: ignore[arg-type]
    return [a[0].text or "" for a in out]


# -- the exported graph ---------------------------------------------------------------------------


def test_graph_inputs_have_dynamic_batch_sequence_and_past_dims() -> None:
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(MODEL_DIR / ONNX_FILE), load_external_data=False).graph
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        symbolic = [i for i, d in enumerate(dims) if d.dim_param]
        expected = [0, 2] if value.name.startswith("past_key_values.") else [0, 1]
        assert symbolic == expected, (value.name, dims)


def test_onnx_matches_torch_at_several_batches_prompt_and_past_lengths() -> None:
    pytest.importorskip("torch")
    from aigc.plugins.text_transformer.export import PARITY_CASES, load_torch_decoder, parity

    decoder = load_torch_decoder()
    diffs = parity(decoder, MODEL_DIR / ONNX_FILE)
    assert set(diffs) == {f"batch{b}_new{n}_past{p}" for b, n, p in PARITY_CASES}
    assert max(diffs.values()) < 1e-4


def test_greedy_64_tokens_are_identical_to_torch(generator: TextTransformerGenerator) -> None:
    torch = pytest.importorskip("torch")
    from aigc.plugins.text_transformer.export import load_torch_decoder

    decoder = load_torch_decoder()
    prompts = [generator.encode_prompt(p, TextOptions())[0] for p in ("In the beginning", "And God said")]
    model = CausalLM(generator.session, generator.context_length, eos_token_id=None)  # never stop early
    for prompt in prompts:
        with torch.no_grad():
            expected = decoder.greedy(torch.tensor([prompt]), 64)[0].tolist()
        (result,) = DecodeBatch(model, [prompt], [0], SamplingParams(temperature=0), 64).run()
        assert result.token_ids == expected


# -- generation -----------------------------------------------------------------------------------


def test_generates_english_like_text(generator: TextTransformerGenerator) -> None:
    samples = texts(generator, ["And it came to pass"] * 4, [0, 1, 2, 3], max_new_tokens=60)
    words = [w.strip(".,;:!?'\"()").lower() for text in samples for w in text.split()]
    assert len(words) >= 60
    common = {"the", "and", "of", "to", "a", "in", "he", "that", "they", "his", "unto", "was", "is", "them"}
    assert sum(w in common for w in words) / len(words) > 0.2


def test_same_seed_same_text_and_different_seeds_differ(generator: TextTransformerGenerator) -> None:
    first = texts(generator, ["In the beginning"] * 3, [3, 3, 4], max_new_tokens=30)
    assert first[0] == first[1] != first[2]
    assert texts(generator, ["In the beginning"], [3], max_new_tokens=30)[0] == first[0]


@pytest.mark.parametrize("options", [GREEDY, {}, {"top_k": 5, "temperature": 1.2}, {"top_p": 0.7}])
def test_batched_prompts_of_different_lengths_equal_each_prompt_alone(
    generator: TextTransformerGenerator, options: dict[str, float]
) -> None:
    prompts = ["In the beginning", "The Lord is my shepherd; I shall not", "hacker:", "And"]
    seeds = [11, 12, 13, 14]
    together = texts(generator, prompts, seeds, max_new_tokens=24, **options)
    alone = [
        texts(generator, [p], [s], max_new_tokens=24, **options)[0]
        for p, s in zip(prompts, seeds, strict=True)
    ]
    assert together == alone


def test_metadata_counts_tokens_and_names_the_finish_reason(generator: TextTransformerGenerator) -> None:
    (artifacts,) = generator.generate(
        [GeneratorInput("In the beginning")], TextOptions(max_new_tokens=7), [1]
    )
    artifact = artifacts[0]
    assert isinstance(artifact, ArtifactData) and artifact.media_type == "text/plain"
    assert artifact.metadata["new_tokens"] <= 7
    assert artifact.metadata["prompt_tokens"] == 1 + len(generator.tokenizer.encode("In the beginning").ids)
    assert artifact.metadata["finish_reason"] in ("length", "stop")


def test_min_new_tokens_keeps_end_of_text_away(generator: TextTransformerGenerator) -> None:
    prompts = ["hacker:", "In the beginning", "And"]
    seeds = [0, 1, 2, 3, 4, 5]
    ended = generator.generate(
        [GeneratorInput(p) for p in prompts * 2], TextOptions(max_new_tokens=40), seeds
    )
    assert any(a[0].metadata["finish_reason"] == "stop" for a in ended)  # the model does end texts
    kept = generator.generate(
        [GeneratorInput(p) for p in prompts * 2], TextOptions(max_new_tokens=40, min_new_tokens=40), seeds
    )
    assert all(a[0].metadata["new_tokens"] == 40 for a in kept)


def test_stop_string_ends_the_text_before_it(generator: TextTransformerGenerator) -> None:
    (full,) = texts(generator, ["In the beginning"], [5], max_new_tokens=60, **GREEDY)
    stop = full.split()[4]
    (stopped,) = generator.generate(
        [GeneratorInput("In the beginning")], TextOptions(max_new_tokens=60, stop=[stop], **GREEDY), [5]
    )
    assert stopped[0].text == full[: full.index(stop)]
    assert stopped[0].metadata["finish_reason"] == "stop"


def test_repetition_penalty_reduces_repeated_tokens(generator: TextTransformerGenerator) -> None:
    def repeats(penalty: float) -> int:
        (text,) = texts(
            generator, ["And the"], [0], max_new_tokens=100, temperature=0.0, repetition_penalty=penalty
        )
        ids = generator.tokenizer.encode(text).ids
        return len(ids) - len(set(ids))

    assert repeats(1.5) < repeats(1.0)


def test_streamed_deltas_concatenate_to_the_generated_text(generator: TextTransformerGenerator) -> None:
    for options in (
        TextOptions(max_new_tokens=50),
        TextOptions(max_new_tokens=50, stop=[" the "]),
        TextOptions(max_new_tokens=5),
    ):
        (expected,) = generator.generate([GeneratorInput("In the beginning")], options, [8])
        stream = generator.stream(GeneratorInput("In the beginning"), options, 8)
        deltas = []
        while True:
            try:
                deltas.append(next(stream))
            except StopIteration as stop:
                final = stop.value
                break
        assert "".join(deltas) == expected[0].text
        assert final == expected[0]  # the stream's return value is the artifact to store
        assert len(deltas) > 1 or len(expected[0].text or "") < 5


# -- context length -------------------------------------------------------------------------------


def long_prompt(words: int) -> str:
    return " ".join(["light"] * words)


def test_a_prompt_longer_than_the_context_is_an_error_naming_the_limit(
    generator: TextTransformerGenerator,
) -> None:
    with pytest.raises(ContextLengthError, match=f"context is {generator.context_length} tokens"):
        generator.generate([GeneratorInput(long_prompt(400))], TextOptions(), [0])


def test_truncate_left_keeps_the_newest_prompt_tokens(generator: TextTransformerGenerator) -> None:
    options = TextOptions(max_new_tokens=10, prompt_overflow="truncate_left")
    (artifacts,) = generator.generate([GeneratorInput(long_prompt(400))], options, [0])
    meta = artifacts[0].metadata
    assert meta["prompt_tokens"] + 10 == generator.context_length and meta["prompt_tokens_dropped"] > 0


def test_output_stops_at_the_context_with_reason_context(generator: TextTransformerGenerator) -> None:
    prompt = long_prompt(generator.context_length - 20)
    (artifacts,) = generator.generate(
        [GeneratorInput(prompt)], TextOptions(max_new_tokens=200, **GREEDY), [0]
    )
    meta = artifacts[0].metadata
    if meta["finish_reason"] == "context":
        assert meta["prompt_tokens"] + meta["new_tokens"] == generator.context_length
    else:  # the model chose to end the text first
        assert meta["prompt_tokens"] + meta["new_tokens"] < generator.context_length


# -- options and imports --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"max_new_tokens": 0},
        {"max_new_tokens": 10_000},
        {"temperature": -0.1},
        {"top_k": -1},
        {"top_p": 0},
        {"top_p": 1.01},
        {"repetition_penalty": 0.5},
        {"min_new_tokens": 20, "max_new_tokens": 10},
        {"stop": [""]},
        {"stop": ["x"] * 9},
        {"unknown": 1},
    ],
)
def test_options_outside_their_limits_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TextOptions(**bad)  # type: ignore[arg-type]


def test_the_generator_and_evaluator_modules_do_not_import_torch() -> None:
    code = (
        "import sys; import aigc.plugins.text_transformer.generator, aigc.plugins.text_perplexity.evaluator; "
        "import aigc.plugins.text_transformer, aigc.plugins.text_perplexity; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


def test_the_manifest_records_the_corpus_and_training() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    training = manifest["training"]
    assert set(manifest["files"]) == {"model.onnx", "tokenizer.json", "config.json"}
    assert (
        len(training["corpus"]["train"]["sha256"]) == 64
        and len(training["corpus"]["held_out"]["sha256"]) == 64
    )
    assert training["seed"] == 3 and training["held_out_perplexity"] > 1
    assert sum(f["size"] for f in manifest["files"].values()) < 20 * 1024 * 1024


# -- perplexity evaluator -------------------------------------------------------------------------


def test_held_out_text_has_far_lower_perplexity_than_shuffled_words(runtime: ModelRuntime) -> None:
    evaluator = build_evaluator(PluginContext(runtime))
    words = HELD_OUT_SAMPLE.split()
    random.Random(0).shuffle(words)
    items = [
        EvalItem(ArtifactData("text/plain", text=t), prompt=None, generator="x", options={})
        for t in (HELD_OUT_SAMPLE, " ".join(words))
    ]
    real, shuffled = (r[0] for r in evaluator.evaluate(items, PerplexityOptions(max_perplexity=100)))
    assert real.value is not None and shuffled.value is not None
    assert real.value * 3 < shuffled.value
    assert real.passed is True and real.score is not None and shuffled.score is not None
    assert real.score > shuffled.score


def test_perplexity_of_long_text_uses_windows_and_empty_text_is_an_error(runtime: ModelRuntime) -> None:
    evaluator = build_evaluator(PluginContext(runtime))
    long_text = " ".join([HELD_OUT_SAMPLE] * 12)  # several contexts long
    items = [
        EvalItem(ArtifactData("text/plain", text=t), prompt="In the beginning", generator="x", options={})
        for t in (long_text, "")
    ]
    long_result, empty = (r[0] for r in evaluator.evaluate(items, PerplexityOptions()))
    assert long_result.details["tokens"] == len(evaluator.tokenizer.encode(long_text).ids)
    assert long_result.passed is None and np.isfinite(long_result.value or np.inf)
    assert empty.error


# -- converter ------------------------------------------------------------------------------------


def test_converted_weights_give_the_same_logits_in_llama_for_causal_lm(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("safetensors")
    from aigc.plugins.text_transformer.convert import save_llama_folder
    from aigc.plugins.text_transformer.export import load_torch_decoder

    decoder = load_torch_decoder()
    folder = save_llama_folder(decoder, MODEL_DIR / "tokenizer.json", 0, tmp_path / "llama")
    llama = transformers.LlamaForCausalLM.from_pretrained(folder).eval()
    ids = torch.tensor([[0, 5, 17, 300, 2000, 42, 9, 1000]])
    with torch.no_grad():
        ours, _ = decoder(ids)
        theirs = llama(ids).logits
    assert float((ours - theirs).abs().max()) < 1e-4
