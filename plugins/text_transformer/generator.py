"""The ``text-transformer`` generator at serving time: ONNX Runtime, numpy and ``tokenizers`` only.

Prompts are encoded with the shipped byte-level BPE tokenizer, preceded by ``<|endoftext|>``
(the model saw it before every training document, so it marks "a document starts here"). All
inputs of a batch decode together (left-padded, per-row positions; see
``aigc.core.decoding.loop``); sample ``i`` draws from ``numpy.random.default_rng(seeds[i])``
only, so a seed gives the same text alone or in any batch.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from aigc.core.sdk import (
    ArtifactData,
    CausalLM,
    ChatTemplate,
    ContextLengthError,
    GeneratorInput,
    LanguageModel,
    ModelSession,
    RowResult,
    SamplingParams,
    TextStream,
    TokenLogprob,
    check_seeds,
    checked_file,
    checked_json,
    invalid,
)
from aigc.plugins.text_transformer.options import TextOptions

MEDIA_TYPE = "text/plain"
TOKENIZER_FILE, CONFIG_FILE = "tokenizer.json", "config.json"


def load_tokenizer(model_dir: Path) -> Any:
    """The model folder's ``tokenizer.json`` after checking it against the manifest."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(checked_file(model_dir, TOKENIZER_FILE)))


def load_model_config(model_dir: Path) -> dict[str, Any]:
    """The model folder's ``config.json`` (decoder sizes, end-of-text id) after checking it."""
    return checked_json(model_dir, CONFIG_FILE)


def sampling_params(options: TextOptions) -> SamplingParams:
    """The decode loop's sampling parameters from validated options."""
    return SamplingParams(
        temperature=options.temperature,
        top_k=options.top_k,
        top_p=options.top_p,
        repetition_penalty=options.repetition_penalty,
        presence_penalty=options.presence_penalty,
        frequency_penalty=options.frequency_penalty,
        logprobs=options.logprobs,
    )


class TextTransformerGenerator:
    """Text continuations of prompts from ``model.onnx`` with its KV cache."""

    chat_template: ChatTemplate | None = None  # models with one answer conversations (``messages``)

    def __init__(self, session: ModelSession, tokenizer: Any, config: dict[str, Any]) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.model_sha256: str | None = session.sha256
        self.eos_token_id = int(config["eos_token_id"])
        self.model: LanguageModel = CausalLM(
            session, int(config["decoder"]["context_length"]), self.eos_token_id
        )

    @property
    def context_length(self) -> int:
        return self.model.context_length

    def decode(self, token_ids: list[int]) -> str:
        """Text of output token ids."""
        text: str = self.tokenizer.decode(token_ids, skip_special_tokens=True)
        return text

    def prompt_ids(self, prompt: str) -> list[int]:
        """``<|endoftext|>`` (the model's "a document starts here") and the prompt's token ids."""
        return [self.eos_token_id, *self.tokenizer.encode(prompt, add_special_tokens=False).ids]

    def input_ids(self, item: GeneratorInput) -> list[int]:
        """The token ids of a prompt (``prompt_ids``) or of a conversation rendered with the model's
        chat template (which writes its own special tokens)."""
        if item.messages is None:
            return self.prompt_ids(item.prompt or "")
        if self.chat_template is None:
            raise invalid("messages", len(item.messages), "this model has no chat template; send a prompt")
        text = self.chat_template.render(item.messages)
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False).ids
        return ids

    def encode_prompt(self, prompt: str | None, options: TextOptions) -> tuple[list[int], int]:
        """``encode_input`` of a prompt."""
        return self.encode_input(GeneratorInput(prompt=prompt), options)

    def encode_input(self, item: GeneratorInput, options: TextOptions) -> tuple[list[int], int]:
        """The input's token ids (``input_ids``), and how many tokens were dropped to fit.

        A prompt with no room for one new token raises ``ContextLengthError`` naming the limit,
        unless ``prompt_overflow == "truncate_left"``, which keeps the newest tokens so that
        prompt + ``max_new_tokens`` fit the context.
        """
        ids = self.input_ids(item)
        if len(ids) < self.context_length:
            return ids, 0
        if options.prompt_overflow == "error":
            self.model.check_prompt(len(ids))
        keep = max(1, self.context_length - options.max_new_tokens)
        return ids[-keep:], len(ids) - keep

    def generate(
        self, inputs: Sequence[GeneratorInput], options: TextOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One ``text/plain`` artifact per input, with token counts and why it stopped."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        encoded = [self.encode_input(i, options) for i in inputs]
        prompts = [ids for ids, _ in encoded]
        params = sampling_params(options)
        batch = self.model.batch(prompts, seeds, params, options.max_new_tokens, options.min_new_tokens)
        try:
            if options.stop:
                streams = [TextStream(self.decode, options.stop) for _ in prompts]
                while not batch.done:
                    for row, token in batch.step():
                        streams[row].add(token)
                        if streams[row].stopped:
                            batch.finish(row, "stop")
                texts = [s.text for s in streams]
            else:
                batch.run()
                texts = [self.decode(r.token_ids) for r in batch.results]
        finally:
            batch.close()
        return [
            [self._artifact(text, result, dropped)]
            for text, result, (_, dropped) in zip(texts, batch.results, encoded, strict=True)
        ]

    def stream(
        self, input: GeneratorInput, options: TextOptions, seed: int
    ) -> Generator[str, None, ArtifactData]:
        """Text deltas of one sample as they are decided; joined, they equal ``generate``'s text.

        The generator's return value (``StopIteration.value``, or the result of ``yield from``) is
        the finished ``ArtifactData`` with the same metadata as ``generate``, ready to be stored.
        """
        ids, dropped = self.encode_input(input, options)
        params = sampling_params(options)
        batch = self.model.batch([ids], [seed], params, options.max_new_tokens, options.min_new_tokens)
        text = TextStream(self.decode, options.stop)
        try:
            while not batch.done:
                for _, token in batch.step():
                    delta = text.add(token)
                    if text.stopped:
                        batch.finish(0, "stop")
                    if delta:
                        yield delta
        finally:
            batch.close()  # the reader may have gone: give up the row
        if delta := text.close():
            yield delta
        return self._artifact(text.text, batch.results[0], dropped)

    def _artifact(self, text: str, result: RowResult, dropped: int) -> ArtifactData:
        metadata: dict[str, Any] = {
            "prompt_tokens": result.prompt_tokens,
            "new_tokens": len(result.token_ids),
            "finish_reason": result.finish_reason,
        }
        if dropped:
            metadata["prompt_tokens_dropped"] = dropped
        if result.logprobs:
            metadata["logprobs"] = [self._logprob_record(lp) for lp in result.logprobs]
        return ArtifactData(MEDIA_TYPE, text=text, metadata=metadata)

    def _logprob_record(self, logprob: TokenLogprob) -> dict[str, Any]:
        """A token's log-probability as stored: its text, and the alternatives' texts."""
        return {
            "token": self.decode([logprob.token_id]),
            "id": logprob.token_id,
            "logprob": round(logprob.logprob, 6),
            "top": [{"token": self.decode([i]), "id": i, "logprob": round(lp, 6)} for i, lp in logprob.top],
        }


__all__ = ["ContextLengthError", "TextTransformerGenerator", "load_model_config", "load_tokenizer"]
