"""The ``smollm2`` chat generator on the real SmolLM2-135M-Instruct, installed from its package.

References written by others: transformers reading the same GGUF file (``gguf_file=``, torch
eager on the dequantised weights) for logits, greedy continuations and the chat template.
(llama.cpp's tokenizer and perplexity: ``test_smollm2_llama_cpp.py``.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aigc.core.engine import Engine
from aigc.core.gguf.packaged import GGUF
from aigc.core.model_install import packaged_file
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext, Settings
from aigc.core.specs import ChatMessage, GeneratorInput
from aigc.plugins.smollm2.generator import SmolLM2Generator
from aigc.plugins.smollm2.options import ChatOptions

GREEDY_PROMPTS = (
    "What is the capital of France?",
    "Write a short poem about autumn leaves.",
    "Explain photosynthesis to a ten-year-old.",
    "List three uses of a paperclip.",
    "Translate 'good morning' into Spanish.",
    "What is 12 times 7?",
    "Give a title for a blog post about home gardening.",
    "Describe a cat in one sentence.",
    "Why is the sky blue?",
    "Write a friendly reminder email about a meeting tomorrow.",
)


@pytest.fixture(scope="module")
def transformers_model() -> Any:
    """transformers' Llama read from the same GGUF file, and its tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    with packaged_file(GGUF) as path:
        folder, name = path.parent, path.name
        model = transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, torch_dtype=torch.float32
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def generator(installed_models_home: Path) -> SmolLM2Generator:
    return SmolLM2Generator(ModelRuntime(), installed_models_home / "models" / "smollm2")


def chat_ids(generator: SmolLM2Generator, question: str, variant: str = "fp32") -> list[int]:
    item = GeneratorInput(messages=(ChatMessage(role="user", content=question),))
    return generator.model(variant).input_ids(item)


def test_answers_a_factual_question_plausibly(generator: SmolLM2Generator) -> None:
    item = GeneratorInput(prompt="What is the capital of France?")
    [[answer]] = generator.generate([item], ChatOptions(temperature=0, max_new_tokens=32), [0])
    assert "Paris" in (answer.text or "")
    assert answer.metadata["finish_reason"] == "stop"


def test_chat_template_renders_as_transformers(generator: SmolLM2Generator, transformers_model: Any) -> None:
    _, tokenizer = transformers_model
    template = generator.model("quantized").chat_template
    assert template is not None
    for messages in (
        [ChatMessage(role="user", content="Hi [there]!")],
        [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello")],
    ):
        expected = tokenizer.apply_chat_template(
            [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
        )
        assert template.render(messages) == expected


def test_fp32_logits_are_within_1e_3_of_transformers(
    generator: SmolLM2Generator, transformers_model: Any
) -> None:
    import torch

    from aigc.core.decoding.static import StaticCache

    model, _ = transformers_model
    lm = generator.model("fp32").model
    for question in GREEDY_PROMPTS[:3]:
        ids = chat_ids(generator, question)
        logits = lm.prefill(StaticCache(lm, 1, len(ids)), [ids], last_only=False)[0]  # type: ignore[attr-defined]
        with torch.no_grad():
            expected = model(torch.tensor([ids])).logits[0].numpy()
        assert np.abs(logits - expected).max() < 1e-3


def test_greedy_64_tokens_equal_transformers_for_10_prompts(
    generator: SmolLM2Generator, transformers_model: Any
) -> None:
    import torch

    from aigc.core.decoding import SamplingParams

    model, _ = transformers_model
    prompts = [chat_ids(generator, question) for question in GREEDY_PROMPTS]
    lm = generator.model("fp32").model
    ours = lm.batch(
        prompts, list(range(len(prompts))), SamplingParams(temperature=0), 64, min_new_tokens=64
    ).run()
    for ids, result in zip(prompts, ours, strict=True):
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), max_new_tokens=64, min_new_tokens=64, do_sample=False)
        assert result.token_ids == out[0, len(ids) :].tolist()


def test_logprobs_equal_transformers_log_softmax(
    generator: SmolLM2Generator, transformers_model: Any
) -> None:
    import torch

    model, _ = transformers_model
    options = ChatOptions(variant="fp32", temperature=0.7, max_new_tokens=12, logprobs=3)
    question = GeneratorInput(messages=(ChatMessage(role="user", content="Name a large animal."),))
    [[artifact]] = generator.generate([question], options, [4])
    records = artifact.metadata["logprobs"]
    ids = chat_ids(generator, "Name a large animal.")
    chosen = [r["id"] for r in records]
    assert len(records) == artifact.metadata["new_tokens"] == len(chosen)
    with torch.no_grad():
        reference = torch.log_softmax(model(torch.tensor([ids + chosen])).logits[0].double(), dim=-1)
    for step, record in enumerate(records):
        expected = reference[len(ids) - 1 + step]
        assert abs(record["logprob"] - float(expected[record["id"]])) < 2e-3
        assert [t["id"] for t in record["top"]] == expected.topk(3).indices.tolist()
    assert "".join(r["token"] for r in records) == artifact.text


def test_quantized_variant_agrees_with_the_reference_on_the_next_token(
    generator: SmolLM2Generator, transformers_model: Any
) -> None:
    """The 4-bit default keeps llama.cpp's weights exactly and quantises activations to 8 bits, as
    llama.cpp does: its most likely next token agrees with the fp32 reference almost everywhere."""
    import torch

    from aigc.core.decoding.static import StaticCache

    model, _ = transformers_model
    lm = generator.model("quantized").model
    agree = total = 0
    for question in GREEDY_PROMPTS:
        ids = chat_ids(generator, question, "quantized") + chat_ids(generator, "Thanks!", "quantized")
        logits = lm.prefill(StaticCache(lm, 1, len(ids)), [ids], last_only=False)[0]  # type: ignore[attr-defined]
        with torch.no_grad():
            expected = model(torch.tensor([ids])).logits[0].numpy()
        agree += int((logits.argmax(-1) == expected.argmax(-1)).sum())
        total += len(ids)
    assert agree / total >= 0.9, f"top-1 agreement {agree / total:.3f}"


@pytest.mark.usefixtures("smollm2_home")
def test_engine_stores_the_conversation_and_streams_what_it_generates(engine: Engine) -> None:
    request = {
        "generator": "smollm2",
        "messages": [
            {"role": "system", "content": "You answer in one short sentence."},
            {"role": "user", "content": "Name a primary colour."},
        ],
        "options": {"max_new_tokens": 40},
        "seed": 11,
    }
    stream = engine.stream(request)
    deltas = list(stream)
    assert stream.result is not None
    (streamed,) = stream.result.generations
    (generated,) = engine.generate(request).generations
    assert "".join(deltas) == streamed.artifacts[0].text == generated.artifacts[0].text
    assert streamed.artifacts[0].sha256 == generated.artifacts[0].sha256
    assert streamed.messages is not None and streamed.messages[1].content == "Name a primary colour."
    assert engine.store.get_generation(generated.id).messages == streamed.messages


@pytest.mark.usefixtures("smollm2_home")
def test_samples_of_a_request_equal_the_same_seeds_alone(engine: Engine) -> None:
    request = {"generator": "smollm2", "prompt": "Suggest a name for a bakery.", "n": 3, "seed": 5}
    together = [g.artifacts[0].text for g in engine.generate(request).generations]
    alone = [
        engine.generate({**request, "n": 1, "seed": 5 + i}).generations[0].artifacts[0].text for i in range(3)
    ]
    assert together == alone
    assert len(set(together)) > 1  # sampled, not greedy


def test_chat_command_streams_answers_and_keeps_the_conversation(smollm2_home: Path, tmp_path: Path) -> None:
    """Each line is a user turn; the next request carries the whole conversation, answers included."""
    from aigc.storage.store import Store

    database = f"sqlite:///{tmp_path / 'chat.db'}"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "aigc.core.cli",
            "--data-dir",
            str(smollm2_home),
            "--database-url",
            database,
            "chat",
            "--seed",
            "1",
            "-o",
            "temperature=0",
            "-o",
            "max_new_tokens=24",
        ],
        input="My name is Ada.\nWhat is my name?\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.count("accepted") == 2
    with Store(database, str(tmp_path / "blobs")) as store:
        latest, first = store.list_generations(limit=2)
    first_answer = first.artifacts[0].text or ""
    assert completed.stdout.startswith(first_answer + "\n")
    assert latest.messages is not None
    assert [(m.role, m.content) for m in latest.messages] == [
        ("user", "My name is Ada."),
        ("assistant", first_answer),
        ("user", "What is my name?"),
    ]


def test_a_missing_model_names_the_install_command(tmp_path: Path) -> None:
    from aigc.core.errors import PluginLoadError
    from aigc.plugins.smollm2 import build_generator

    with pytest.raises(PluginLoadError, match=re.escape(str(tmp_path)) + r".*aigc models install smollm2"):
        build_generator(PluginContext(settings=Settings(data_dir=tmp_path)))
