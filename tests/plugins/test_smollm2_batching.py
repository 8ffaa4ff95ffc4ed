"""Continuous batching on the real SmolLM2: requests that share the model's decode batch, joining
and leaving it at any step, get exactly what they get decoding alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aigc.core.decoding.scheduler import (
    ContinuousBatcher,
    RowReport,
    Scheduling,
    StepReport,
    add_observer,
    remove_observer,
)
from aigc.core.errors import OverloadedError
from aigc.core.manifest import load_manifest
from aigc.core.runtime import ModelRuntime
from aigc.core.specs import ArtifactData, GeneratorInput
from aigc.plugins.onnx_causal_lm.model import OptimumModel, load_model_folder
from aigc.plugins.smollm2.options import ChatOptions

QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Name three fruits.",
    "Why do cats purr?",
    "Give me a tip for learning to cook.",
    "What is 7 times 8?",
]
OPTIONS = [
    ChatOptions(temperature=0.0, max_new_tokens=24),
    ChatOptions(temperature=0.9, top_k=40, top_p=0.95, max_new_tokens=40, logprobs=2),
    ChatOptions(temperature=0.7, repetition_penalty=1.3, max_new_tokens=32, stop=["\n"]),
    ChatOptions(temperature=1.0, presence_penalty=0.8, frequency_penalty=0.5, max_new_tokens=28),
    ChatOptions(temperature=0.5, min_new_tokens=12, max_new_tokens=20),
    ChatOptions(temperature=0.0, max_new_tokens=1),
]


def _folder(home: Path) -> Path:
    return home / "models" / "smollm2" / "quantized"


@pytest.fixture(scope="module")
def alone(installed_models_home: Path) -> OptimumModel:
    folder = _folder(installed_models_home)
    return load_model_folder(ModelRuntime(), folder, load_manifest(folder))


def shared(home: Path, scheduling: Scheduling) -> OptimumModel:
    folder = _folder(home)
    return load_model_folder(ModelRuntime(), folder, load_manifest(folder), scheduling)


def ask(question: str) -> GeneratorInput:
    from aigc.core.specs import ChatMessage

    return GeneratorInput(messages=(ChatMessage(role="user", content=question),))


def answer(model: OptimumModel, index: int, seed: int) -> ArtifactData:
    [[artifact]] = model.generate([ask(QUESTIONS[index])], OPTIONS[index], [seed])
    return artifact


def test_concurrent_requests_equal_the_same_requests_alone(
    installed_models_home: Path, alone: OptimumModel
) -> None:
    model = shared(installed_models_home, Scheduling(max_rows=4))
    assert isinstance(model.model, ContinuousBatcher)
    steps: list[StepReport | RowReport] = []
    add_observer(steps.append)
    try:
        with ThreadPoolExecutor(len(QUESTIONS)) as pool:
            # Staggered: later requests join a batch that is already decoding, and more want in than fit.
            futures = []
            for index in range(len(QUESTIONS)):
                futures.append(pool.submit(answer, model, index, 100 + index))
                time.sleep(0.05 * (index % 3))
            together = [f.result(timeout=300) for f in futures]
    finally:
        remove_observer(steps.append)
    expected = [answer(alone, index, 100 + index) for index in range(len(QUESTIONS))]
    assert [a.text for a in together] == [a.text for a in expected]
    assert [a.metadata for a in together] == [a.metadata for a in expected]
    batch_sizes = [s.batch_size for s in steps if isinstance(s, StepReport)]
    assert max(batch_sizes) > 1 and max(batch_sizes) <= 4
    rows = [r for r in steps if isinstance(r, RowReport)]
    assert len(rows) == len(QUESTIONS) and all(r.first_token_s > 0 for r in rows)


def test_a_request_of_several_rows_equals_its_rows_alone(
    installed_models_home: Path, alone: OptimumModel
) -> None:
    model = shared(installed_models_home, Scheduling(max_rows=8))
    options = OPTIONS[1]
    items = [ask(q) for q in QUESTIONS[:3]]
    together = model.generate(items, options, [7, 8, 9])
    assert together == [
        alone.generate([item], options, [seed])[0] for item, seed in zip(items, [7, 8, 9], strict=True)
    ]


def _stream_until(model: OptimumModel, deltas: int) -> Iterator[str]:
    stream = model.stream(ask("Tell me a long story about a dragon."), ChatOptions(max_new_tokens=400), 3)
    for _ in range(deltas):
        yield next(stream)
    stream.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_an_abandoned_stream_frees_its_row_and_others_go_on(
    installed_models_home: Path, alone: OptimumModel
) -> None:
    model = shared(installed_models_home, Scheduling(max_rows=4))
    batcher = model.model
    assert isinstance(batcher, ContinuousBatcher)
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(answer, model, 1, 11)
        assert len(list(_stream_until(model, 3))) == 3
        assert other.result(timeout=300).text == answer(alone, 1, 11).text
    _wait_for(lambda: not batcher._running() and not batcher._waiting)


def test_a_full_queue_refuses_at_once(installed_models_home: Path) -> None:
    model = shared(installed_models_home, Scheduling(max_rows=1, max_waiting=1))
    batcher = model.model
    assert isinstance(batcher, ContinuousBatcher)
    running = model.stream(ask("Tell me a long story."), ChatOptions(max_new_tokens=300), 1)
    next(running)  # holds the only row
    waiting: list[Any] = []
    thread = threading.Thread(target=lambda: waiting.append(answer(model, 0, 1)), daemon=True)
    thread.start()
    _wait_for(lambda: len(batcher._waiting) == 1)
    with pytest.raises(OverloadedError) as refused:
        answer(model, 2, 1)
    assert refused.value.retry_after_s >= 1
    running.close()
    thread.join(timeout=120)
    assert waiting and waiting[0].text


def test_a_failing_graph_fails_its_requests_and_the_batch_goes_on(
    installed_models_home: Path, alone: OptimumModel
) -> None:
    model = shared(installed_models_home, Scheduling(max_rows=4))
    batcher = model.model
    assert isinstance(batcher, ContinuousBatcher)
    prefill = batcher.model.prefill
    failures: list[str] = []

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append("failed")
            raise RuntimeError("the graph failed")
        return prefill(*args, **kwargs)

    batcher.model.prefill = failing_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="the graph failed"):
        answer(model, 0, 1)
    assert answer(model, 0, 1).text == answer(alone, 0, 1).text
