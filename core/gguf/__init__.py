"""Llama-architecture GGUF files (llama.cpp's format) converted to ONNX folders that aigc serves.

``convert_gguf(path, out)`` reads the file with the ``gguf`` package (numpy only), builds the
decoder graph (KV cache, dynamic batch and lengths) and writes an optimum-style folder:
``model.onnx`` (+ ``model.onnx.data``), ``config.json``, ``tokenizer.json``,
``tokenizer_config.json`` (chat template, special tokens) and ``conversion.json``. Two variants:

- ``quantized``: Q4_0/Q4_1 weights become ONNX Runtime ``MatMulNBits`` 4-bit blocks and Q8_0
  weights 8-bit blocks, bit for bit (Q4_1's per-block minimum becomes the block's float zero
  point, so nothing is rounded twice); F16/F32 weights stay float;
- ``fp32``: every weight dequantized to float32 (for parity checks against a reference forward).

Converting needs the ``chat`` extra (``gguf``, ``onnx``); serving the folder needs neither.
"""

from aigc.core.gguf.convert import VARIANTS, Variant, convert_gguf
from aigc.core.gguf.reader import GgufModel, UnsupportedGgufError, read_gguf

__all__ = ["VARIANTS", "GgufModel", "UnsupportedGgufError", "Variant", "convert_gguf", "read_gguf"]
