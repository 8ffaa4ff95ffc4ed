"""A Llama GGUF file's weights as a ``transformers`` state dict, and a fine-tuned state dict written
back as a GGUF file with the source's metadata (tokenizer, chat template, sizes) unchanged.

Written back, a weight is float32 (``F32``), or, with ``quantize``, ``Q8_0`` blocks where the source
held the weight in blocks (Q4_0, Q4_1 or Q8_0): 8-bit blocks keep a fine-tuned difference that 4-bit
blocks would round away, at about a quarter of float32's size. Either converts to ONNX with
``aigc.core.gguf.convert_gguf``; llama.cpp reads both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.gguf.reader import GgufModel, field_value
from aigc.core.gguf.weights import float_weight, is_block_quantized

# GGUF tensor of layer {i} → transformers parameter of layer {i}
LAYER_TENSORS = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def tensor_names(model: GgufModel) -> Iterator[tuple[str, str, int | None]]:
    """``(gguf name, transformers name, heads whose rotary rows llama.cpp permuted or None)``."""
    config = model.config
    yield "token_embd.weight", "model.embed_tokens.weight", None
    yield "output_norm.weight", "model.norm.weight", None
    if "output.weight" in model.tensors:
        yield "output.weight", "lm_head.weight", None
    for layer in range(config.layers):
        for gguf_name, hf_name in LAYER_TENSORS.items():
            heads = {"attn_q": config.heads, "attn_k": config.kv_heads}.get(gguf_name)
            yield f"blk.{layer}.{gguf_name}.weight", f"model.layers.{layer}.{hf_name}.weight", heads


def hf_state_dict(model: GgufModel) -> dict[str, np.ndarray]:
    """Every weight of ``model`` as float32, named and laid out as ``LlamaForCausalLM`` has them."""
    state = {}
    for gguf_name, hf_name, heads in tensor_names(model):
        tensor = model.tensors[gguf_name]
        state[hf_name] = float_weight(tensor, heads) if len(tensor.shape) == 2 else tensor.dequantized()
    return state


def permute_rotary_rows(rows: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's converter permutation of Q/K rows (the inverse of ``unpermute_rotary_rows``)."""
    head_dim = rows.shape[0] // heads
    shape = rows.shape
    return rows.reshape(heads, 2, head_dim // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def write_tuned_gguf(
    source: GgufModel, state: dict[str, np.ndarray], out: Path, name: str, quantize: bool = False
) -> Path:
    """Write ``state`` (``hf_state_dict`` names) as a GGUF file with ``source``'s metadata, named
    ``name``; with ``quantize``, the weights ``source`` held in blocks as ``Q8_0`` (see above)."""
    import gguf
    from gguf.quants import quantize as quantize_blocks

    reader = gguf.GGUFReader(str(source.path))
    writer = gguf.GGUFWriter(str(out), arch=str(source.metadata["general.architecture"]))
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.name"):
            continue
        _copy_field(writer, key, field)
    writer.add_name(name)
    for gguf_name, hf_name, heads in tensor_names(source):
        values = np.ascontiguousarray(state[hf_name], dtype=np.float32)
        if heads is not None:
            values = permute_rotary_rows(values, heads)
        if quantize and is_block_quantized(source.tensors[gguf_name]):
            q8_0 = gguf.GGMLQuantizationType.Q8_0
            writer.add_tensor(gguf_name, quantize_blocks(values, q8_0), raw_dtype=q8_0)
        else:
            writer.add_tensor(gguf_name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _copy_field(writer: Any, key: str, field: Any) -> None:
    """One metadata field of a ``GGUFReader`` into a ``GGUFWriter``, with its types."""
    import gguf

    array = field.types[0] == gguf.GGUFValueType.ARRAY
    sub_type = field.types[1] if array else None
    writer.add_key_value(key, field_value(field), field.types[0], sub_type=sub_type)


__all__ = ["hf_state_dict", "permute_rotary_rows", "write_tuned_gguf"]
