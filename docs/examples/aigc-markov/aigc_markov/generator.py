"""The ``markov`` generator: one ONNX Runtime call per word for the whole batch, aigc's sampling."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.sdk import (
    ArtifactData,
    GeneratorInput,
    SamplingParams,
    load_manifest,
    select_tokens,
    verify_file,
)
from aigc_markov.corpus import START, words
from aigc_markov.options import MarkovOptions

VOCAB_FILE = "vocab.json"


class MarkovGenerator:
    """``model.onnx`` maps the current word ids ``token`` (batch,) to next-word ``logits`` (batch, vocab)."""

    def __init__(self, session: Any, model_dir: Path) -> None:
        verify_file(model_dir, VOCAB_FILE, load_manifest(model_dir))
        self.session = session
        self.model_sha256: str | None = session.sha256
        self.vocab: list[str] = json.loads((model_dir / VOCAB_FILE).read_text())
        self.ids = {word: i for i, word in enumerate(self.vocab)}

    def _start(self, prompt: str | None) -> int:
        """The prompt's last word if the chain knows it, else the start of a line."""
        last = words(prompt or "")[-1:]
        return self.ids.get(last[0], self.ids[START]) if last else self.ids[START]

    def generate(
        self, inputs: Sequence[GeneratorInput], options: MarkovOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        rngs = [np.random.default_rng(seed) for seed in seeds]
        current = np.array([self._start(i.prompt) for i in inputs], dtype=np.int64)
        walked = np.empty((len(inputs), options.words), dtype=np.int64)
        params = SamplingParams(temperature=options.temperature)
        for step in range(options.words):
            logits = self.session.run({"token": current})["logits"]
            current = select_tokens(logits, params, rngs)
            walked[:, step] = current
        return [
            [ArtifactData("text/plain", text=self._text(item.prompt, row), metadata={"words": options.words})]
            for item, row in zip(inputs, walked.tolist(), strict=True)
        ]

    def _text(self, prompt: str | None, ids: list[int]) -> str:
        lines, line = [], words(prompt or "")
        for token in ids:
            if self.vocab[token] == START:
                lines.append(" ".join(line))
                line = []
            else:
                line.append(self.vocab[token])
        return "\n".join([*lines, " ".join(line)]).strip()
