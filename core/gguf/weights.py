"""Weights from GGUF tensors: float32 arrays, or ONNX Runtime ``MatMulNBits`` blocks without requantising.

``MatMulNBits`` computes ``A @ W.T`` for ``W`` of shape ``(N, K)`` stored as ``B`` uint8
``(N, K / block, block * bits / 8)`` with one scale (and zero point) per block:
``w = (q - zero_point) * scale``. GGML's block formats map onto that exactly (block = 32):

- Q4_0: ``w = d * (q - 8)``: scale ``d``, the default zero point 8;
- Q4_1: ``w = d * q + m``: scale ``d`` with zero point 0, plus the block minimum ``m`` as a second,
  32x smaller product: ``A @ W.T = MatMulNBits(A) + blocksum(A) @ m.T``, where ``blocksum`` adds
  each block's 32 inputs. (A float zero point ``-m / d`` is also exact but sends ONNX Runtime down
  a path about 100x slower.)
- Q8_0: ``w = d * q`` with signed ``q``: stored as ``q + 128`` with the default 8-bit zero point 128.

GGML packs a 4-bit block as 16 bytes whose low nibbles are elements 0-15 and high nibbles 16-31;
``MatMulNBits`` wants element ``2i`` in the low and ``2i + 1`` in the high nibble of byte ``i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aigc.core.gguf.reader import Tensor

BLOCK = 32
_BLOCK_BYTES = {"Q4_0": 18, "Q4_1": 20, "Q8_0": 34}


@dataclass(frozen=True)
class BlockWeight:
    """``MatMulNBits`` initializers for one weight ``(N, K)``."""

    bits: int
    n: int
    k: int
    packed: np.ndarray  # uint8 (N, K / 32, 32 * bits / 8)
    scales: np.ndarray  # float32 (N * K / 32,)
    zero_points: np.ndarray | None  # uint8, two 4-bit zero points a byte; None: the default
    minimums: np.ndarray | None = None  # float32 (N, K / 32): Q4_1's per-block minimum


def is_block_quantized(tensor: Tensor) -> bool:
    """Whether ``tensor`` maps onto ``MatMulNBits`` without requantising."""
    return tensor.type_name in _BLOCK_BYTES and tensor.shape[-1] % BLOCK == 0


def unpermute_rotary_rows(rows: np.ndarray, heads: int) -> np.ndarray:
    """Undo llama.cpp's converter permutation of Q/K rows (it interleaves each head's rotary halves).

    Works on any array whose first axis is the weight's output rows (floats or raw block bytes).
    """
    head_dim = rows.shape[0] // heads
    shape = rows.shape
    return rows.reshape(heads, head_dim // 2, 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def _blocks(tensor: Tensor, heads_to_unpermute: int | None) -> np.ndarray:
    n, k = tensor.shape
    size = _BLOCK_BYTES[tensor.type_name]
    raw = np.ascontiguousarray(tensor.raw).reshape(n, k // BLOCK * size)
    if heads_to_unpermute:
        raw = unpermute_rotary_rows(raw, heads_to_unpermute)
    return raw.reshape(n, k // BLOCK, size)


def _pack_nibbles(low_high: np.ndarray) -> np.ndarray:
    """GGML's 16 bytes (elements 0-15 low, 16-31 high) → consecutive pairs per byte."""
    values = np.concatenate([low_high & 0x0F, low_high >> 4], axis=-1)  # elements 0..31 in order
    packed: np.ndarray = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    return packed


def block_weight(tensor: Tensor, heads_to_unpermute: int | None = None) -> BlockWeight:
    """``MatMulNBits`` initializers for a Q4_0, Q4_1 or Q8_0 weight, values unchanged."""
    n, k = tensor.shape
    blocks = _blocks(tensor, heads_to_unpermute)
    scale = blocks[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    if tensor.type_name == "Q8_0":
        signed = blocks[..., 2:].copy().view(np.int8).astype(np.int16)
        packed = (signed + 128).astype(np.uint8)
        return BlockWeight(8, n, k, packed, scale.reshape(-1), None)
    if tensor.type_name == "Q4_0":
        return BlockWeight(4, n, k, _pack_nibbles(blocks[..., 2:]), scale.reshape(-1), None)
    minimum = blocks[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    zero = np.zeros(n * ((k // BLOCK + 1) // 2), dtype=np.uint8)
    return BlockWeight(4, n, k, _pack_nibbles(blocks[..., 4:]), scale.reshape(-1), zero, minimum)


def float_weight(tensor: Tensor, heads_to_unpermute: int | None = None) -> np.ndarray:
    """The weight dequantized to float32 ``(rows, columns)`` (rotary rows unpermuted if asked)."""
    values = tensor.dequantized()
    return unpermute_rotary_rows(values, heads_to_unpermute) if heads_to_unpermute else values
