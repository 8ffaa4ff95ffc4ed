"""Plugins for the gallery's review tests: a chat generator that answers with the conversation's last
words reversed, and a judge whose answer is an error with a long, unbroken detail (as real
evaluator failures are: URLs, JSON, tracebacks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

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

LONG_ERROR = (
    "judge unavailable: POST https://judge.example/"
    + "v1/" * 40
    + "score failed\n"
    + json.dumps({"detail": "x" * 300, "trace": list(range(60))})
)


class EchoChat:
    model_sha256 = None

    def generate(
        self, inputs: Sequence[GeneratorInput], options: Any, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        answers = [" ".join(reversed((i.messages or ())[-1].content.split())) for i in inputs]
        return [[ArtifactData("text/plain", text=answer)] for answer in answers]


class BrokenJudge:
    def evaluate(self, items: Sequence[EvalItem], options: Any) -> list[list[EvalResult]]:
        return [[EvalResult(metric="verdict", error=LONG_ERROR)] for _ in items]


class ReviewPlugin:
    @hookimpl
    def aigc_register_generators(self, register: Callable[[GeneratorSpec], None]) -> None:
        register(
            GeneratorSpec(
                name="echo-chat",
                modality="text",
                version="0.1",
                options=Options,
                factory=lambda context: EchoChat(),
                media_types=("text/plain",),
                prompt="optional",
                chat=True,
            )
        )

    @hookimpl
    def aigc_register_evaluators(self, register: Callable[[EvaluatorSpec], None]) -> None:
        register(
            EvaluatorSpec(
                name="broken-judge",
                version="0.1",
                options=Options,
                factory=lambda context: BrokenJudge(),
                media_types=("image/png", "text/plain"),
            )
        )
