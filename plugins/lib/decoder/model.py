"""A Llama-style decoder-only transformer in one file (torch; training and export only).

Data flows: token embedding → ``n_layers`` x [RMSNorm → grouped-query attention with rotary
position embeddings → residual → RMSNorm → SwiGLU MLP → residual] → RMSNorm → tied output head.

Parameter names follow Hugging Face ``LlamaForCausalLM`` minus its ``model.`` prefix
(``embed_tokens``, ``layers.{i}.self_attn.q_proj``, ``layers.{i}.mlp.gate_proj``, ``norm``...), and
the maths is the same (rotate-half RoPE, RMSNorm in float32, no biases), so
``aigc.plugins.text_transformer.convert`` is a renaming plus a config.

The forward pass takes an optional KV cache and an attention mask over past + new tokens, and
per-row ``position_ids``: rows of one batch may have different (left-padded) prompt lengths.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

# A large negative bias instead of -inf: a query row whose keys are all padding (a left-padding
# position) gets a uniform softmax instead of NaN, and its output is never read.
MASKED = -1e9


@dataclass(frozen=True)
class DecoderConfig:
    """Sizes of the decoder. ``context_length`` is the longest sequence (prompt + output) it was
    trained for; positions beyond it are refused by the generation loop."""

    vocab_size: int = 4096
    d_model: int = 192
    n_layers: int = 4
    n_heads: int = 6
    n_kv_heads: int = 2
    d_ff: int = 512
    context_length: int = 256
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class RMSNorm(nn.Module):
    """Root-mean-square norm with a learned scale, computed in float32 (as Llama does)."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        # x / sqrt(...) rather than x * rsqrt(...): the same maths, in the pattern ONNX Runtime
        # fuses into one SimplifiedLayerNormalization node.
        x = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotary_cos_sin(
    position_ids: torch.Tensor, head_dim: int, theta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of shape ``(batch, 1, seq, head_dim)`` for rotate-half RoPE at ``position_ids``."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32)[..., None] * inv_freq  # (batch, seq, head_dim/2)
    emb = torch.cat((freqs, freqs), dim=-1)[:, None]
    return emb.cos(), emb.sin()


def rotate_half_matrix(head_dim: int) -> torch.Tensor:
    """``R`` with ``x @ R == cat(-x[..., half:], x[..., :half])`` (Llama's ``rotate_half``), exactly.

    One MatMul in the exported graph instead of Slice, Slice, Neg and Concat.
    """
    half = head_dim // 2
    rotation = torch.zeros(head_dim, head_dim)
    rotation[torch.arange(half) + half, torch.arange(half)] = -1.0
    rotation[torch.arange(half), torch.arange(half) + half] = 1.0
    return rotation


class Attention(nn.Module):
    """Grouped-query attention: ``n_heads`` query heads share ``n_kv_heads`` key/value heads."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = config.n_heads, config.n_kv_heads, config.head_dim
        self.q_proj = nn.Linear(config.d_model, config.n_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(config.d_model, config.n_kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(config.d_model, config.n_kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(config.n_heads * self.head_dim, config.d_model, bias=False)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        bias: torch.Tensor | None,
        past: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        cos, sin, rotation = rope
        batch, seq, _ = x.shape
        q = self.q_proj(x).view(batch, seq, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.n_kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + (q @ rotation) * sin
        k = k * cos + (k @ rotation) * sin
        if past is not None:
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        present = (k, v)
        groups = self.n_heads // self.n_kv_heads
        if bias is None:  # training: plain causal attention, no cache, no padding
            keys = k.repeat_interleave(groups, dim=1)
            values = v.repeat_interleave(groups, dim=1)
            out = F.scaled_dot_product_attention(q, keys, values, is_causal=True)
        else:
            # Group the query heads by the key/value head they share instead of copying keys;
            # ``bias`` is already tiled over the group, (batch, 1, groups * seq, past + seq).
            q = q.reshape(batch, self.n_kv_heads, groups * seq, self.head_dim)
            scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim) + bias
            out = (scores.softmax(dim=-1) @ v).view(batch, self.n_heads, seq, self.head_dim)
        out = out.transpose(1, 2).reshape(batch, seq, self.n_heads * self.head_dim)
        return self.o_proj(out), present


class MLP(nn.Module):
    """SwiGLU feed-forward: ``down(silu(gate(x)) * up(x))``."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.up_proj = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.down_proj = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    """Pre-norm block: attention and MLP, each with a residual connection."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(config.d_model, config.norm_eps)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = MLP(config)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        bias: torch.Tensor | None,
        past: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        attended, present = self.self_attn(self.input_layernorm(x), rope, bias, past)
        x = x + attended
        return x + self.mlp(self.post_attention_layernorm(x)), present


def attention_bias(attention_mask: torch.Tensor, seq: int) -> torch.Tensor:
    """Additive bias ``(batch, 1, seq, past + seq)``: 0 where a query may attend, ``MASKED`` elsewhere.

    Query ``i`` (absolute index ``past + i``) sees key ``j`` when ``j <= past + i`` and
    ``attention_mask[b, j] == 1``.
    """
    total = attention_mask.shape[1]
    query_index = torch.arange(seq, device=attention_mask.device)[:, None] + (total - seq)
    key_index = torch.arange(total, device=attention_mask.device)[None, :]
    allowed = (key_index <= query_index)[None] & (attention_mask[:, None, :] > 0)
    zero = torch.zeros((), dtype=torch.float32)
    return torch.where(allowed, zero, torch.full((), MASKED))[:, None]


class Decoder(nn.Module):
    """The language model: token ids in, next-token logits (and the KV cache) out."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.n_layers))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.register_buffer("rotation", rotate_half_matrix(config.head_dim), persistent=False)
        self.apply(self._init_weights)
        for layer in self.layers:  # scale residual outputs by depth (GPT-2)
            std = 0.02 / math.sqrt(2 * config.n_layers)
            nn.init.normal_(layer.self_attn.o_proj.weight, std=std)
            nn.init.normal_(layer.mlp.down_proj.weight, std=std)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        past: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Logits ``(batch, seq, vocab)`` and the present keys/values ``(batch, kv, past+seq, head)``.

        Without ``attention_mask`` and ``past`` this is plain causal training over full rows.
        """
        batch, seq = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(seq, device=input_ids.device).expand(batch, seq)
        cos, sin = rotary_cos_sin(position_ids, self.config.head_dim, self.config.rope_theta)
        rope = (cos, sin, self.rotation)
        bias = None
        if attention_mask is not None:
            groups = self.config.n_heads // self.config.n_kv_heads
            bias = attention_bias(attention_mask, seq).repeat(1, 1, groups, 1)  # once, not per layer
        elif past is not None:
            raise ValueError("a KV cache needs an attention_mask over past + new tokens")
        x = self.embed_tokens(input_ids)
        presents = []
        for index, layer in enumerate(self.layers):
            x, present = layer(x, rope, bias, past[index] if past is not None else None)
            presents.append(present)
        logits = F.linear(self.norm(x), self.embed_tokens.weight)  # tied head
        return logits, presents

    @torch.no_grad()
    def greedy(
        self, input_ids: torch.Tensor, max_new_tokens: int, suppress_token: int | None = None
    ) -> torch.Tensor:
        """Greedy continuation of equal-length prompts with a KV cache: new ids ``(batch, max_new_tokens)``.

        The torch reference for the ONNX loop (tests) and the "torch eager" benchmark contender;
        ``suppress_token`` (e.g. end-of-text) is never chosen.
        """
        batch, seq = input_ids.shape
        mask = torch.ones(batch, seq, dtype=torch.int64)
        positions = torch.arange(seq).expand(batch, seq)
        logits, past = self(input_ids, mask, positions, None)
        new = []
        for step in range(max_new_tokens):
            last = logits[:, -1]
            if suppress_token is not None:
                last = last.clone()
                last[:, suppress_token] = float("-inf")
            token = last.argmax(-1, keepdim=True)
            new.append(token)
            if step + 1 == max_new_tokens:
                break
            mask = torch.cat([mask, torch.ones(batch, 1, dtype=torch.int64)], dim=1)
            logits, past = self(token, mask, torch.full((batch, 1), seq + step), past)
        return torch.cat(new, dim=1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class OnnxDecoder(nn.Module):
    """Flat-signature wrapper for export, with Hugging Face optimum's names.

    Inputs ``input_ids``, ``attention_mask`` (past + new), ``position_ids``,
    ``past_key_values.{i}.key`` / ``.value``; outputs ``logits``, ``present.{i}.key`` / ``.value``.
    """

    def __init__(self, decoder: Decoder) -> None:
        super().__init__()
        self.decoder = decoder

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        *past_flat: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.decoder(input_ids, attention_mask, position_ids, past)
        return (logits, *(t for kv in presents for t in kv))


def input_names(config: DecoderConfig) -> list[str]:
    """The exported graph's input names, in ``OnnxDecoder.forward`` order."""
    names = ["input_ids", "attention_mask", "position_ids"]
    for i in range(config.n_layers):
        names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
    return names


def output_names(config: DecoderConfig) -> list[str]:
    """The exported graph's output names."""
    names = ["logits"]
    for i in range(config.n_layers):
        names += [f"present.{i}.key", f"present.{i}.value"]
    return names
