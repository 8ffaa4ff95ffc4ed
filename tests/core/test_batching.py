"""Dynamic batching: concurrent requests share calls, each gets exactly its own seed's output."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aigc.core.batching import BatchedOutput, BatchPolicy, BatchStats, DynamicBatcher
from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import PluginCallError
from aigc.core.plugins import PluginRegistry
from aigc.core.preparation import GeneratorCall
from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import ArtifactData, ChatMessage, GeneratorInput
from aigc.plugins.image_gan import build_generator
from aigc.plugins.image_gan.generator import ImageGanGenerator
from aigc.plugins.image_gan.options import GanOptions


@pytest.fixture(scope="module")
def gan() -> ImageGanGenerator:
    generator = build_generator(PluginContext(ModelRuntime()))
    assert isinstance(generator, ImageGanGenerator)
    return generator


def _alone(gan: ImageGanGenerator, options: GanOptions, seed: int) -> bytes:
    [[artifact]] = gan.generate([GeneratorInput()], options, [seed])
    return artifact.payload


def _concurrently(
    batcher: DynamicBatcher, calls: Sequence[tuple[Any, GanOptions, list[int]]]
) -> list[BatchedOutput]:
    start = threading.Barrier(len(calls))

    def run(call: tuple[Any, GanOptions, list[int]]) -> BatchedOutput:
        generator, options, seeds = call
        start.wait()
        return batcher.run(generator, GeneratorCall("image-gan", options, GeneratorInput()), seeds)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_requests_share_calls_and_keep_their_own_outputs(gan: ImageGanGenerator) -> None:
    stats: list[BatchStats] = []
    batcher = DynamicBatcher(
        {"image-gan": BatchPolicy(max_batch_size=16, max_queue_delay_ms=200)}, 60, stats.append
    )
    options = GanOptions(label=4)
    outputs = _concurrently(batcher, [(gan, options, [100 + i]) for i in range(12)])
    assert max(s.size for s in stats) > 1, "concurrent requests were never merged"
    assert sum(s.requests for s in stats) == 12 and all(s.size <= 16 for s in stats)
    for i, output in enumerate(outputs):
        [[artifact]] = output.samples
        assert artifact.payload == _alone(gan, options, 100 + i)  # independent of its batch
        assert output.batch_size >= 1 and output.queue_ms >= 0
    assert len({o.samples[0][0].payload for o in outputs}) == 12


def test_requests_with_different_options_are_never_merged(gan: ImageGanGenerator) -> None:
    stats: list[BatchStats] = []
    batcher = DynamicBatcher(
        {"image-gan": BatchPolicy(max_batch_size=32, max_queue_delay_ms=100)}, 60, stats.append
    )
    calls = [(gan, GanOptions(label=i % 2), [7]) for i in range(6)]
    outputs = _concurrently(batcher, calls)
    for (_, options, seeds), output in zip(calls, outputs, strict=True):
        assert output.samples[0][0].payload == _alone(gan, options, seeds[0])
        assert output.samples[0][0].metadata["label"] == options.label
    assert sum(s.requests for s in stats) == 6 and len(stats) >= 2


def test_a_batch_never_exceeds_the_maximum_and_large_requests_bypass_the_queue(
    gan: ImageGanGenerator,
) -> None:
    stats: list[BatchStats] = []
    batcher = DynamicBatcher(
        {"image-gan": BatchPolicy(max_batch_size=4, max_queue_delay_ms=100)}, 60, stats.append
    )
    outputs = _concurrently(batcher, [(gan, GanOptions(), [i, i + 50]) for i in range(5)])
    assert all(s.size <= 4 for s in stats) and sum(s.size for s in stats) == 10
    assert all(len(o.samples) == 2 for o in outputs)
    assert batcher.handles("image-gan", 4) and not batcher.handles("image-gan", 5)
    assert not batcher.handles("text-transformer", 1)


class _Exploding:
    model_sha256 = None

    def generate(
        self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        raise RuntimeError("boom")


def test_a_failing_call_fails_every_request_in_it_and_the_queue_keeps_working(gan: ImageGanGenerator) -> None:
    batcher = DynamicBatcher({"image-gan": BatchPolicy(max_batch_size=8, max_queue_delay_ms=100)}, 60)
    with pytest.raises(PluginCallError, match="boom"):
        batcher.run(_Exploding(), GeneratorCall("image-gan", GanOptions(), GeneratorInput()), [1])
    [[artifact]] = batcher.run(gan, GeneratorCall("image-gan", GanOptions(), GeneratorInput()), [1]).samples
    assert artifact.payload == _alone(gan, GanOptions(), 1)


class _Echo:
    """Answers each input with its last message (or prompt), and records every call's inputs."""

    model_sha256 = None

    def __init__(self) -> None:
        self.calls: list[list[GeneratorInput]] = []

    def generate(
        self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        self.calls.append(list(inputs))
        texts = [i.messages[-1].content if i.messages else i.prompt or "" for i in inputs]
        return [[ArtifactData(media_type="text/plain", text=text)] for text in texts]


def test_conversations_reach_the_generator_and_only_equal_ones_share_a_call() -> None:
    echo = _Echo()
    batcher = DynamicBatcher({"echo": BatchPolicy(max_batch_size=16, max_queue_delay_ms=200)}, 60)
    conversations = [(ChatMessage(role="user", content=f"question {i % 2}"),) for i in range(6)]
    start = threading.Barrier(6)

    def ask(index: int) -> BatchedOutput:
        start.wait()
        call = GeneratorCall("echo", GanOptions(), GeneratorInput(messages=conversations[index]))
        return batcher.run(echo, call, [index])

    with ThreadPoolExecutor(6) as pool:
        outputs = list(pool.map(ask, range(6)))
    assert [o.samples[0][0].text for o in outputs] == [f"question {i % 2}" for i in range(6)]
    assert all(len({i.messages for i in inputs}) == 1 for inputs in echo.calls)  # never mixed
    assert sum(len(inputs) for inputs in echo.calls) == 6 and len(echo.calls) < 6  # and merged


@pytest.fixture
def batched_engine(settings: Settings, registry: PluginRegistry, runtime: ModelRuntime) -> Iterator[Engine]:
    batcher = DynamicBatcher({"image-gan": BatchPolicy(max_batch_size=32, max_queue_delay_ms=100)}, 60)
    with Engine(settings, registry=registry, runtime=runtime, batcher=batcher) as engine:
        yield engine


def test_engine_results_are_the_same_batched_or_not(batched_engine: Engine, engine: Engine) -> None:
    request = {"generator": "image-gan", "options": {"label": 2}, "n": 3, "seed": 40}
    with ThreadPoolExecutor(4) as pool:
        batched = list(pool.map(batched_engine.generate, [request | {"seed": 40 + 10 * i} for i in range(4)]))
    direct = engine.generate(request)
    assert [g.key for g in batched[0].generations] == [g.key for g in direct.generations]
    assert [g.artifacts[0].sha256 for g in batched[0].generations] == [
        g.artifacts[0].sha256 for g in direct.generations
    ]
    assert all(r.timings["batch_size"] >= 3 for r in batched) and "queue_ms" in batched[0].timings
