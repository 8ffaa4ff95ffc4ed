"""Reading a Llama-architecture GGUF file: hyperparameters, tokenizer fields and weight tensors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.errors import InvalidRequestError

ARCHITECTURES = ("llama",)
SUPPORTED_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")


class UnsupportedGgufError(InvalidRequestError):
    """A GGUF file aigc cannot convert (architecture or quantisation), named in the message."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__([{"field": "path", "value": str(path), "message": message}])


@dataclass(frozen=True)
class LlamaConfig:
    """The decoder's sizes, from the ``llama.*`` metadata keys."""

    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    context: int
    rope_theta: float
    rms_eps: float


@dataclass(frozen=True)
class Tensor:
    """One weight as stored: its GGML type name, logical shape (rows, columns) and raw bytes."""

    name: str
    type_name: str
    shape: tuple[int, ...]
    raw: np.ndarray

    def dequantized(self) -> np.ndarray:
        """The weight as float32, shaped ``shape``."""
        import gguf

        values = gguf.quants.dequantize(self.raw, gguf.GGMLQuantizationType[self.type_name])
        return np.asarray(values, dtype=np.float32).reshape(self.shape)


@dataclass(frozen=True)
class GgufModel:
    """Everything the converter needs from one file."""

    path: Path
    name: str
    config: LlamaConfig
    metadata: dict[str, Any]
    tensors: dict[str, Tensor]

    @property
    def quantization(self) -> str:
        """The most common weight type among the 2-D tensors (e.g. ``Q4_1``)."""
        types = [t.type_name for t in self.tensors.values() if len(t.shape) == 2]
        return max(sorted(set(types)), key=types.count)


def field_value(field: Any) -> Any:
    """The value of one ``GGUFReader`` metadata field (a string, number, bool or list of them)."""
    import gguf

    if not field.types:
        return None
    if field.types[0] == gguf.GGUFValueType.ARRAY:
        if len(field.types) > 1 and field.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8", errors="replace") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    value = field.parts[field.data[0]]
    if field.types[0] == gguf.GGUFValueType.STRING:
        return bytes(value).decode("utf-8")
    return value.tolist()[0]


def _config(path: Path, metadata: dict[str, Any], tensors: dict[str, Tensor]) -> LlamaConfig:
    arch = metadata.get("general.architecture")
    if arch not in ARCHITECTURES:
        raise UnsupportedGgufError(
            path, f"architecture {arch!r} is not supported; supported: {', '.join(ARCHITECTURES)}"
        )

    def key(name: str, default: Any = None) -> Any:
        value = metadata.get(f"{arch}.{name}", default)
        if value is None:
            raise UnsupportedGgufError(path, f"metadata key {arch}.{name} is missing")
        return value

    hidden, heads = int(key("embedding_length")), int(key("attention.head_count"))
    head_dim = int(metadata.get(f"{arch}.rope.dimension_count") or hidden // heads)
    if metadata.get(f"{arch}.rope.scaling.type") not in (None, "none"):
        raise UnsupportedGgufError(path, "RoPE scaling is not supported")
    return LlamaConfig(
        layers=int(key("block_count")),
        hidden=hidden,
        intermediate=int(key("feed_forward_length")),
        heads=heads,
        kv_heads=int(key("attention.head_count_kv", heads)),
        head_dim=head_dim,
        vocab=int(metadata.get(f"{arch}.vocab_size") or tensors["token_embd.weight"].shape[0]),
        context=int(key("context_length")),
        rope_theta=float(key("rope.freq_base", 10000.0)),
        rms_eps=float(key("attention.layer_norm_rms_epsilon")),
    )


def read_gguf(path: Path) -> GgufModel:
    """Read ``path``; ``UnsupportedGgufError`` names an unsupported architecture or tensor type."""
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, OSError, IndexError) as error:
        raise UnsupportedGgufError(path, f"not a readable GGUF file ({error})") from None
    metadata = {name: field_value(field) for name, field in reader.fields.items()}
    tensors: dict[str, Tensor] = {}
    for item in reader.tensors:
        type_name = item.tensor_type.name
        if type_name not in SUPPORTED_TYPES:
            raise UnsupportedGgufError(
                path,
                f"tensor {item.name} is {type_name}; supported types: {', '.join(SUPPORTED_TYPES)}",
            )
        shape = tuple(int(d) for d in reversed(item.shape.tolist()))  # GGUF lists dimensions inner first
        tensors[item.name] = Tensor(item.name, type_name, shape, np.asarray(item.data))
    if "token_embd.weight" not in tensors:
        raise UnsupportedGgufError(path, "no token_embd.weight tensor: not a Llama decoder")
    config = _config(path, metadata, tensors)
    name = str(metadata.get("general.name") or path.stem)
    return GgufModel(path=path, name=name, config=config, metadata=metadata, tensors=tensors)
