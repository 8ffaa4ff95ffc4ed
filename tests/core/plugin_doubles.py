"""Small plugins written the way a third party would, used to exercise the engine's contracts."""

from __future__ import annotations

import math
import textwrap
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from aigc.core import (
    ArtifactData,
    EvalItem,
    EvalResult,
    EvaluatorSpec,
    GeneratorInput,
    GeneratorSpec,
    Options,
    hookimpl,
)


class EchoOptions(Options):
    words: int = Field(3, ge=1, le=50, description="words per sample")


class EchoGenerator:
    """Deterministic text: the prompt followed by words derived from the seed."""

    model_sha256 = None

    def generate(
        self, inputs: Sequence[GeneratorInput], options: EchoOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        return [
            [
                ArtifactData(
                    "text/plain",
                    text=" ".join([i.prompt or ""] + [f"w{seed}-{k}" for k in range(options.words)]),
                    metadata={"seed": seed},
                )
            ]
            for i, seed in zip(inputs, seeds, strict=True)
        ]


class StreamingEchoGenerator(EchoGenerator):
    """The echo generator, word by word."""

    def stream(
        self, input: GeneratorInput, options: EchoOptions, seed: int
    ) -> Generator[str, None, ArtifactData]:
        [[artifact]] = self.generate([input], options, [seed])
        words = (artifact.text or "").split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word
        return artifact


class FailingGenerator:
    model_sha256 = None

    def __init__(self, mode: str, release: threading.Event) -> None:
        self.mode, self.release = mode, release

    def generate(self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]) -> Any:
        if self.mode == "raise":
            raise RuntimeError("model exploded")
        if self.mode == "hang":
            self.release.wait(30)
            return []
        return [["not an artifact"] for _ in seeds]  # malformed


class LengthOptions(Options):
    target: int = Field(20, ge=1, le=10_000, description="length that scores 1.0")


class LengthEvaluator:
    def evaluate(self, items: Sequence[EvalItem], options: LengthOptions) -> list[list[EvalResult]]:
        results = []
        for item in items:
            length = len(item.artifact.text or "")
            score = min(1.0, length / options.target)
            results.append(
                [
                    EvalResult(
                        metric="length",
                        score=score,
                        value=length,
                        passed=length >= options.target,
                        reason=f"{length} characters, target {options.target}",
                    )
                ]
            )
        return results


class BrokenEvaluator:
    def __init__(self, mode: str, release: threading.Event) -> None:
        self.mode, self.release = mode, release

    def evaluate(self, items: Sequence[EvalItem], options: Any) -> list[list[EvalResult]]:
        if self.mode == "raise":
            raise ValueError("evaluator bug")
        if self.mode == "hang":
            self.release.wait(30)
        return [[EvalResult(metric="nan", score=math.nan)] for _ in items]


class DistinctTextsEvaluator:
    """Set-level: the share of distinct texts in a request."""

    def evaluate_set(self, items: Sequence[EvalItem], options: Any) -> list[EvalResult]:
        texts = [item.artifact.text for item in items]
        share = len(set(texts)) / len(texts)
        return [
            EvalResult(
                metric="distinct_texts", score=share, value=share, reason=f"{len(set(texts))} distinct"
            )
        ]


class RaisingSetEvaluator:
    def evaluate_set(self, items: Sequence[EvalItem], options: Any) -> list[EvalResult]:
        raise ZeroDivisionError("no features")


def _text_generator(name: str, factory: Callable[[Any], Any]) -> GeneratorSpec:
    return GeneratorSpec(
        name=name,
        modality="text",
        version="0.1",
        options=EchoOptions,
        factory=factory,
        media_types=("text/plain",),
        prompt="optional",
        max_batch_size=4,
    )


class DoublesPlugin:
    """Registers echo, failing generators and good and broken evaluators."""

    def __init__(self) -> None:
        self.release = threading.Event()  # lets hanging calls finish when a test ends

    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        register(_text_generator("echo", lambda context: EchoGenerator()))
        register(_text_generator("echo-stream", lambda context: StreamingEchoGenerator()))
        for mode in ("raise", "hang", "malformed"):
            register(
                _text_generator(f"gen-{mode}", lambda context, m=mode: FailingGenerator(m, self.release))
            )

    @hookimpl
    def aigc_register_evaluators(self, register: Callable[[EvaluatorSpec], None]) -> None:
        register(
            EvaluatorSpec(
                name="length",
                version="0.1",
                options=LengthOptions,
                factory=lambda context: LengthEvaluator(),
                media_types=("text/plain",),
            )
        )
        for name, factory in (
            ("distinct", lambda context: DistinctTextsEvaluator()),
            ("set-raise", lambda context: RaisingSetEvaluator()),
            ("set-without-evaluate-set", lambda context: LengthEvaluator()),
        ):
            register(
                EvaluatorSpec(
                    name=name,
                    version="0.1",
                    options=Options,
                    factory=factory,
                    media_types=("text/plain",),
                    scope="set",
                )
            )
        for mode in ("raise", "hang", "nan"):
            register(
                EvaluatorSpec(
                    name=f"eval-{mode}",
                    version="0.1",
                    options=Options,
                    factory=lambda context, m=mode: BrokenEvaluator(m, self.release),
                    media_types=("text/plain",),
                )
            )


class RaisingHookPlugin:
    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        register(_text_generator("half-registered", lambda context: EchoGenerator()))
        raise RuntimeError("hook failed after registering one generator")


class WrongTypePlugin:
    @hookimpl
    def aigc_register_evaluators(self, register: Callable[[Any], None]) -> None:
        register({"name": "not-a-spec"})


def write_distribution(root: Path, name: str, sources: Mapping[str, str]) -> None:
    """A minimal installed distribution on ``root``: its source files (paths relative to ``root``)
    and the metadata of an ``aigc`` entry point ``name`` (dashes for underscores) naming module ``name``."""
    for path, source in sources.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(source))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[aigc]\n{name.replace('_', '-')} = {name}\n")
