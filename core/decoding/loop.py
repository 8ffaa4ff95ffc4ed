"""The KV-cache decode loop for ONNX causal language models (numpy + ONNX Runtime only).

The graph has Hugging Face optimum's signature: ``input_ids``, ``attention_mask`` (past + new),
``position_ids`` and ``past_key_values.{i}.key|value`` ``(batch, kv_heads, past, head_dim)`` in;
``logits`` and ``present.{i}.key|value`` out. A zero-length past serves the prompt.

Rows of different prompt lengths share a batch by **left padding**: row ``b``'s prompt sits at
the right end of the first ``attention_mask`` columns, padding columns are 0 and never attended
to, and ``position_ids`` count real tokens only (``cumsum(mask) - 1``), so a row sees exactly the
positions and keys it would see alone. Each step appends one column (1 for every active row) and
feeds each row's last token at its own next position. Finished rows **leave** the batch (their
cache rows are dropped) and padding columns no remaining row needs are trimmed.

Context: a row's prompt plus output never exceeds ``context_length`` tokens (positions beyond it
were never trained). A row that reaches it finishes with reason ``"context"``; a prompt that
leaves no room for one new token is rejected with ``ContextLengthError`` before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from aigc.core.decoding.sampling import SamplingParams, TokenLogprob, select_tokens, token_logprob
from aigc.core.errors import InvalidRequestError

if TYPE_CHECKING:
    from aigc.core.runtime import ModelSession

FinishReason = Literal["stop", "length", "context"]


class ContextLengthError(InvalidRequestError):
    """A prompt is too long for the model's context (a request error on the ``prompt`` field)."""

    def __init__(self, message: str, tokens: int, field: str = "prompt") -> None:
        super().__init__([{"field": field, "value": f"{tokens} tokens", "message": message}])


@dataclass
class RowResult:
    """One row's outcome: the new token ids (end-of-text excluded) and why it stopped."""

    prompt_tokens: int
    token_ids: list[int] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    logprobs: list[TokenLogprob] = field(default_factory=list)  # per output token, when asked


def seen_in_prompts(prompts: Sequence[Sequence[int]], vocab: int) -> np.ndarray:
    """``(rows, vocab)`` marks of the tokens in each prompt: what the repetition penalty starts from."""
    seen = np.zeros((len(prompts), vocab), dtype=bool)
    for row, prompt in enumerate(prompts):
        seen[row, np.asarray(prompt, dtype=np.int64)] = True
    return seen


def choose_tokens(
    logits: np.ndarray,
    params: SamplingParams,
    rngs: Sequence[np.random.Generator],
    seen: np.ndarray | None,
    counts: np.ndarray | None,
    produced: Sequence[int],
    min_new_tokens: int,
    eos_token_id: int | None,
) -> np.ndarray:
    """Each row's next token from its raw ``logits``: end-of-text is masked for rows that have
    ``produced`` fewer than ``min_new_tokens`` tokens, then ``select_tokens`` (penalties, sampling)."""
    short = np.array([count < min_new_tokens for count in produced], dtype=bool)
    if eos_token_id is not None and short.any():
        logits = logits.copy()
        logits[short, eos_token_id] = -np.inf
    return select_tokens(logits, params, rngs, seen, counts)


def add_token(
    result: RowResult, token: int, eos_token_id: int | None, max_new_tokens: int, context_length: int
) -> bool:
    """Record a row's chosen ``token``: end-of-text finishes it (``"stop"``, not output); any
    other token is output, and finishes the row at ``max_new_tokens`` (``"length"``) or at the
    context (``"context"``). Returns whether the token is output."""
    if token == eos_token_id:
        result.finish_reason = "stop"
        return False
    result.token_ids.append(token)
    if len(result.token_ids) >= max_new_tokens:
        result.finish_reason = "length"
    elif result.prompt_tokens + len(result.token_ids) >= context_length:
        result.finish_reason = "context"
    return True


class Rows(Protocol):
    """Rows being decoded, as a generator reads them: a ``RowBatch`` of its own, or its rows in a
    model's shared batch (``aigc.core.decoding.scheduler``)."""

    results: list[RowResult]

    @property
    def done(self) -> bool: ...

    def step(self) -> list[tuple[int, int]]: ...

    def finish(self, row: int, reason: FinishReason = "stop") -> None: ...

    def run(self) -> list[RowResult]: ...

    def close(self) -> None: ...


class LanguageModel:
    """What every decoder offers the loop and the evaluators, whatever its cache layout: subclasses
    set ``context_length`` and ``eos_token_id``, and say which ``RowBatch`` decodes them."""

    context_length: int
    eos_token_id: int | None

    def check_prompt(self, length: int) -> None:
        """Raise ``ContextLengthError`` unless a prompt of ``length`` tokens leaves room for one more."""
        check_prompt_length(length, self.context_length)

    def token_log_probs(self, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Log-probability of each token after the first, per sequence (one batched run)."""
        raise NotImplementedError

    def batch_type(self) -> type[RowBatch]:
        """The ``RowBatch`` subclass for this cache layout."""
        raise NotImplementedError

    def batch(
        self,
        prompts: Sequence[Sequence[int]],
        seeds: Sequence[int],
        params: SamplingParams,
        max_new_tokens: int,
        min_new_tokens: int = 0,
        forced: Sequence[Mapping[int, int]] | None = None,
    ) -> Rows:
        """Rows to decode together (see ``RowBatch``)."""
        return self.batch_type()(self, prompts, seeds, params, max_new_tokens, min_new_tokens, forced)


def check_prompt_length(length: int, context_length: int) -> None:
    """Raise ``ContextLengthError`` unless a prompt of ``length`` tokens leaves room for one more."""
    if length >= context_length:
        raise ContextLengthError(
            f"prompt is {length} tokens; the model's context is {context_length} tokens "
            f"(prompt + output), so a prompt may have at most {context_length - 1}",
            length,
        )
    if length < 1:
        raise ContextLengthError("prompt must have at least one token", length)


def check_sequence_lengths(sequences: Sequence[Sequence[int]], context_length: int) -> None:
    """Raise ``ContextLengthError`` (field ``text``) if a scored sequence exceeds the context."""
    for sequence in sequences:
        if len(sequence) > context_length:
            raise ContextLengthError(
                f"sequence is {len(sequence)} tokens; the context is {context_length}",
                len(sequence),
                field="text",
            )


def log_softmax_targets(logits: np.ndarray, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Per sequence, the log-probability of each token after the first, from ``logits``
    ``(rows, width, vocab)`` whose position ``i`` predicts token ``i + 1``."""
    logits = logits.astype(np.float64)
    log_probs = logits - logits.max(-1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
    result = []
    for row, sequence in enumerate(sequences):
        targets = np.asarray(sequence[1:], dtype=np.int64)
        result.append(log_probs[row, np.arange(len(targets)), targets])
    return result


class CausalLM(LanguageModel):
    """An ONNX causal LM with a growing KV cache (optimum's signature), as the loop sees it."""

    def __init__(
        self,
        session: ModelSession,
        context_length: int,
        eos_token_id: int | None,
        cache_shape: tuple[int, int] | None = None,
    ) -> None:
        """``cache_shape`` is ``(kv_heads, head_dim)``, needed only when the graph leaves them symbolic."""
        self.session = session
        self.context_length = context_length
        self.eos_token_id = eos_token_id
        inputs = {i.name: i for i in session.session.get_inputs()}
        self.cache_names = [n for n in session.input_names if n.startswith("past_key_values.")]
        self.present_names = ["present." + n.removeprefix("past_key_values.") for n in self.cache_names]
        first = inputs[self.cache_names[0]].shape
        self.kv_heads, self.head_dim = cache_shape or (int(first[1]), int(first[3]))
        self.has_position_ids = "position_ids" in inputs
        self.output_names = ["logits", *self.present_names]

    def empty_cache(self, batch: int) -> list[np.ndarray]:
        """Zero-length past for every cache input."""
        shape = (batch, self.kv_heads, 0, self.head_dim)
        return [np.zeros(shape, dtype=np.float32) for _ in self.cache_names]

    def forward(
        self,
        input_ids: np.ndarray,
        attention_mask: np.ndarray,
        position_ids: np.ndarray,
        past: list[np.ndarray],
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One graph run: logits ``(batch, new, vocab)`` and the present cache."""
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.has_position_ids:
            feeds["position_ids"] = position_ids
        feeds.update(zip(self.cache_names, past, strict=True))
        outputs = self.session.session.run(self.output_names, feeds)
        return outputs[0], outputs[1:]

    def batch_type(self) -> type[RowBatch]:
        return DecodeBatch

    def token_log_probs(self, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Log-probability of each token after the first, per sequence (one batched run, right-padded)."""
        check_sequence_lengths(sequences, self.context_length)
        width = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        positions = np.broadcast_to(np.arange(width, dtype=np.int64), ids.shape).copy()
        logits, _ = self.forward(ids, mask, positions, self.empty_cache(len(sequences)))
        return log_softmax_targets(logits, sequences)


class RowBatch:
    """Rows decoded together, one ``step()`` at a time; the bookkeeping every cache layout shares.

    ``step()`` returns ``(row, token_id)`` for every output token produced in that step (an
    end-of-text token finishes its row and is not returned). Callers that match stop strings
    call ``finish(row)``; the row stops before the next step. Subclasses run the graph
    (``_last_logits``), feed the chosen tokens back (``_advance``) and drop finished rows
    (``_drop``).
    """

    def __init__(
        self,
        model: LanguageModel,
        prompts: Sequence[Sequence[int]],
        seeds: Sequence[int],
        params: SamplingParams,
        max_new_tokens: int,
        min_new_tokens: int = 0,
        forced: Sequence[Mapping[int, int]] | None = None,
    ) -> None:
        """``min_new_tokens``: end-of-text cannot be chosen before a row has this many new tokens.

        ``forced[row]`` maps output indices to tokens that row must emit there (constrained
        decoding, e.g. a given melody); the row's generator still draws, so other steps are
        unchanged by what is forced.
        """
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if forced is not None and len(forced) != len(prompts):
            raise ValueError(f"{len(prompts)} prompts but {len(forced)} forced-token maps")
        for prompt in prompts:
            model.check_prompt(len(prompt))
        self.model = model
        self.params, self.max_new_tokens = params, max_new_tokens
        self.context_length, self.eos_token_id = model.context_length, model.eos_token_id
        self.min_new_tokens = min_new_tokens
        self.forced = forced
        self.results = [RowResult(prompt_tokens=len(p)) for p in prompts]
        self._rngs = [np.random.default_rng(seed) for seed in seeds]
        self._active = np.arange(len(prompts))
        self._seen: np.ndarray | None = None
        self._counts: np.ndarray | None = None  # output tokens per row and token id
        self._prompts = prompts
        if max_new_tokens < 1:
            for result in self.results:
                result.finish_reason = "length"
            self._active = self._active[:0]
        self._prepare()

    def _prepare(self) -> None:
        """Set up the cache layout's own state (called at the end of ``__init__``)."""

    @property
    def done(self) -> bool:
        return len(self._active) == 0

    def finish(self, row: int, reason: FinishReason = "stop") -> None:
        """End ``row`` (e.g. a stop string matched); it leaves the batch before the next step."""
        if self.results[row].finish_reason is None:
            self.results[row].finish_reason = reason

    def _mark_seen(self, vocab: int) -> np.ndarray:
        if self._seen is None:
            self._seen = seen_in_prompts(self._prompts, vocab)
        return self._seen[self._active]

    def _drop_finished(self) -> None:
        keep = np.array([self.results[row].finish_reason is None for row in self._active], dtype=bool)
        if keep.all():
            return
        self._active = self._active[keep]
        self._drop(keep)

    def _drop(self, keep: np.ndarray) -> None:
        """Forget the rows of the active batch where ``keep`` is False."""
        raise NotImplementedError

    def _last_logits(self) -> np.ndarray:
        """Run the graph for the active rows: each row's next-token logits ``(rows, vocab)``."""
        raise NotImplementedError

    def _advance(self, tokens: np.ndarray) -> None:
        """Make ``tokens`` (one per active row, finished rows included) the next step's input."""
        raise NotImplementedError

    def step(self) -> list[tuple[int, int]]:
        """Run the graph once for every active row and choose each row's next token."""
        self._drop_finished()
        if self.done:
            return []
        raw = self._last_logits()
        eos = self.eos_token_id
        seen = self._mark_seen(raw.shape[-1]) if self.params.repetition_penalty != 1.0 else None
        if self.params.counts_output and self._counts is None:
            self._counts = np.zeros((len(self.results), raw.shape[-1]), dtype=np.int32)
        counts = self._counts[self._active] if self._counts is not None else None
        rngs = [self._rngs[row] for row in self._active]
        produced = [len(self.results[row].token_ids) for row in self._active]
        tokens = choose_tokens(raw, self.params, rngs, seen, counts, produced, self.min_new_tokens, eos)
        if self.forced is not None:
            for index, row in enumerate(self._active.tolist()):
                tokens[index] = self.forced[row].get(len(self.results[row].token_ids), tokens[index])
        if self._seen is not None:
            self._seen[self._active, tokens] = True
        if self._counts is not None:
            self._counts[self._active, tokens] += 1
        events: list[tuple[int, int]] = []
        for index, (row, token) in enumerate(zip(self._active.tolist(), tokens.tolist(), strict=True)):
            if add_token(self.results[row], token, eos, self.max_new_tokens, self.context_length):
                events.append((row, token))
                if self.params.logprobs is not None:
                    self.results[row].logprobs.append(token_logprob(raw[index], token, self.params.logprobs))
        self._advance(tokens)
        return events

    def close(self) -> None:
        """Give up the rows that have not finished (nothing to release for a batch of one's own)."""

    def run(self) -> list[RowResult]:
        """Step until every row has finished."""
        while not self.done:
            self.step()
            self._drop_finished()
        return self.results


class DecodeBatch(RowBatch):
    """Rows of a ``CausalLM`` (growing cache, left padding; see the module docstring)."""

    model: CausalLM

    def _prepare(self) -> None:
        prompts = self._prompts
        width = max(len(p) for p in prompts)
        self._ids = np.zeros((len(prompts), width), dtype=np.int64)
        self._mask = np.zeros((len(prompts), width), dtype=np.int64)
        for row, prompt in enumerate(prompts):
            self._ids[row, width - len(prompt) :] = prompt
            self._mask[row, width - len(prompt) :] = 1
        self._positions = np.maximum(np.cumsum(self._mask, axis=1) - 1, 0)
        self._past = self.model.empty_cache(len(prompts))

    def _drop(self, keep: np.ndarray) -> None:
        self._ids, self._mask, self._positions = self._ids[keep], self._mask[keep], self._positions[keep]
        self._past = [p[keep] for p in self._past]
        if len(self._active):
            # Padding columns that no remaining row attends to: drop them from mask and cache.
            first = int(np.argmax(self._mask.any(axis=0)))
            if first > 0:
                self._mask = self._mask[:, first:]
                self._past = [np.ascontiguousarray(p[:, :, first:]) for p in self._past]

    def _last_logits(self) -> np.ndarray:
        logits, self._past = self.model.forward(self._ids, self._mask, self._positions, self._past)
        last: np.ndarray = logits[:, -1, :]
        return last

    def _advance(self, tokens: np.ndarray) -> None:
        self._ids = tokens[:, None].astype(np.int64)
        self._positions = self._positions[:, -1:] + 1
        self._mask = np.concatenate([self._mask, np.ones((len(self._active), 1), dtype=np.int64)], axis=1)
