"""The decode loop for graphs with a static KV cache (``aigc.core.gguf``'s Llama graph).

The cache of every layer is one preallocated buffer ``(batch, kv_heads, capacity, head_dim)``
bound as both ``past_key_values.{i}.*`` input and ``present.{i}.*`` output (ONNX Runtime IO
binding), so ``GroupQueryAttention`` appends each step's keys and values in place: nothing is
copied per step, however long the context. Rows are **right-aligned in time from position 0**:
row ``b`` holds its ``length[b]`` tokens in slots ``0 .. length[b] - 1``; each step writes a row's new
tokens at ``length[b]`` onward (``seqlens_k = length + new - 1``). The prompt step pads shorter
prompts on the right; the padding's keys land past the row's end and are overwritten by its
next tokens before any of its queries could see them (attention is causal).

The buffer grows by doubling (one copy) when a row would pass its end, and rows that finished
stay in place, idle (each step rewrites its last slot), until half the batch is idle; then the
batch is compacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from aigc.core.decoding.loop import LanguageModel, RowBatch, check_sequence_lengths, log_softmax_targets

if TYPE_CHECKING:
    from aigc.core.runtime import ModelSession

INITIAL_NEW_TOKENS = 128  # cache room for output allocated up front; more is added by doubling


class StaticCache:
    """The per-layer key/value buffers of one batch, bound to a session's inputs and outputs."""

    def __init__(self, model: StaticCacheLM, batch: int, capacity: int) -> None:
        import onnxruntime as ort

        self.model, self.batch, self.capacity = model, batch, capacity
        shape = (batch, model.kv_heads, capacity, model.head_dim)
        self.arrays = [np.zeros(shape, dtype=np.float32) for _ in model.cache_names]
        values = [ort.OrtValue.ortvalue_from_numpy(array) for array in self.arrays]
        self.binding = model.session.session.io_binding()
        self.binding.bind_output("logits")
        for past, present, value in zip(model.cache_names, model.present_names, values, strict=True):
            self.binding.bind_ortvalue_input(past, value)
            self.binding.bind_ortvalue_output(present, value)

    def resized(self, rows: np.ndarray | None = None, capacity: int | None = None) -> StaticCache:
        """A new cache holding ``rows`` (default all) of this one, with ``capacity`` slots (default same)."""
        selected = np.arange(self.batch) if rows is None else rows
        grown = StaticCache(self.model, len(selected), capacity or self.capacity)
        width = min(self.capacity, grown.capacity)
        for old, new in zip(self.arrays, grown.arrays, strict=True):
            new[:, :, :width] = old[selected, :, :width]
        return grown


class StaticCacheLM(LanguageModel):
    """An ONNX causal LM whose KV cache is updated in place (see the module docstring)."""

    def __init__(
        self,
        session: ModelSession,
        context_length: int,
        eos_token_id: int | None,
        cache_shape: tuple[int, int],
    ) -> None:
        self.session, self.context_length, self.eos_token_id = session, context_length, eos_token_id
        self.kv_heads, self.head_dim = cache_shape
        self.cache_names = [n for n in session.input_names if n.startswith("past_key_values.")]
        self.present_names = ["present." + n.removeprefix("past_key_values.") for n in self.cache_names]

    def batch_type(self) -> type[RowBatch]:
        return StaticDecodeBatch

    def forward(
        self,
        cache: StaticCache,
        input_ids: np.ndarray,
        positions: np.ndarray,
        lengths: np.ndarray,
        logits_positions: np.ndarray,
    ) -> np.ndarray:
        """Run the graph on ``input_ids`` ``(batch, new)`` (right-padded), rows' new tokens at
        ``positions``, ``lengths`` = each row's cache length after the step; logits at
        ``logits_positions`` ``(batch, kept)``."""
        binding = cache.binding
        feeds: dict[str, Any] = {
            "input_ids": np.ascontiguousarray(input_ids, dtype=np.int64),
            "position_ids": np.ascontiguousarray(positions, dtype=np.int64),
            "seqlens_k": (lengths - 1).astype(np.int32),
            "total_sequence_length": np.array(lengths.max(), dtype=np.int32),
            "logits_positions": np.ascontiguousarray(logits_positions, dtype=np.int64),
        }
        for name, value in feeds.items():
            binding.bind_cpu_input(name, value)
        self.session.session.run_with_iobinding(binding)
        logits: np.ndarray = binding.get_outputs()[0].numpy()
        return logits

    def decode_step(
        self, cache: StaticCache, tokens: np.ndarray, lengths: np.ndarray, active: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feed each cache row its next token: active rows write it at their length, the others
        rewrite their last slot (never read again). Returns the logits ``(rows, vocab)`` and the
        rows' lengths after the step."""
        positions = np.where(active, lengths, lengths - 1)
        logits = self.forward(
            cache,
            tokens[:, None],
            positions[:, None],
            positions + 1,
            np.zeros((len(positions), 1), dtype=np.int64),
        )
        return logits[:, 0], np.where(active, lengths + 1, lengths)

    def prefill(self, cache: StaticCache, prompts: Sequence[Sequence[int]], last_only: bool) -> np.ndarray:
        """Write ``prompts`` (one per cache row, from slot 0) into ``cache``; the logits of every
        position ``(rows, width, vocab)``, or of each prompt's last token ``(rows, vocab)``."""
        width = max(len(p) for p in prompts)
        ids = np.zeros((len(prompts), width), dtype=np.int64)
        for row, prompt in enumerate(prompts):
            ids[row, : len(prompt)] = prompt
        positions = np.broadcast_to(np.arange(width, dtype=np.int64), ids.shape)
        lengths = np.full(len(prompts), width, dtype=np.int64)
        if not last_only:
            return self.forward(cache, ids, positions, lengths, positions)
        last = np.array([[len(p) - 1] for p in prompts], dtype=np.int64)
        logits: np.ndarray = self.forward(cache, ids, positions, lengths, last)[:, 0]
        return logits

    def token_log_probs(self, sequences: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Log-probability of each token after the first, per sequence (one batched run)."""
        check_sequence_lengths(sequences, self.context_length)
        cache = StaticCache(self, len(sequences), max(len(s) for s in sequences))
        return log_softmax_targets(self.prefill(cache, sequences, last_only=False), sequences)


class StaticDecodeBatch(RowBatch):
    """Rows of a ``StaticCacheLM``: prompts in one step, then one token per row per step."""

    model: StaticCacheLM

    def _prepare(self) -> None:
        prompts, model = self._prompts, self.model
        longest = max(len(p) for p in prompts)
        capacity = min(model.context_length, longest + min(self.max_new_tokens, INITIAL_NEW_TOKENS))
        self._cache = StaticCache(model, len(prompts), capacity)
        self._slots = np.arange(len(prompts))  # cache row of each active row
        self._rows = np.arange(len(prompts))  # row of each cache row
        self._lengths = np.array([len(p) for p in prompts], dtype=np.int64)  # per cache row
        self._idle = np.zeros(len(prompts), dtype=bool)  # per cache row: finished, left in place
        self._next: np.ndarray | None = None  # per cache row: token to feed (None: prompts first)

    def _drop(self, keep: np.ndarray) -> None:
        self._idle[self._slots[~keep]] = True
        self._slots = self._slots[keep]
        if len(self._slots) and self._idle.sum() * 2 >= len(self._idle):
            self._cache = self._cache.resized(self._slots)
            self._lengths, self._idle = self._lengths[self._slots], self._idle[self._slots]
            self._rows = self._rows[self._slots]
            if self._next is not None:
                self._next = self._next[self._slots]
            self._slots = np.arange(len(self._slots))

    def _last_logits(self) -> np.ndarray:
        if self._next is None:
            logits = self.model.prefill(
                self._cache, [self._prompts[row] for row in self._rows.tolist()], last_only=True
            )
            prompt_logits: np.ndarray = logits[self._slots]
            return prompt_logits
        needed = int(self._lengths.max()) + 1
        if needed > self._cache.capacity:
            self._cache = self._cache.resized(
                capacity=min(self.model.context_length, 2 * self._cache.capacity)
            )
        logits, self._lengths = self.model.decode_step(self._cache, self._next, self._lengths, ~self._idle)
        selected: np.ndarray = logits[self._slots]
        return selected

    def _advance(self, tokens: np.ndarray) -> None:
        if self._next is None:
            self._next = np.zeros(self._cache.batch, dtype=np.int64)
        self._next[self._slots] = tokens
