"""all-MiniLM-L6-v2 sentence embeddings from the ONNX graph that ``text-relevance`` exports.

``text-relevance`` exports the model on its first use into ``models/text-relevance/<version>`` of
the data folder; other plugins read it from there with ``encoder.load_sentence_encoder``.
Importing this package needs nothing beyond the standard library (plugin listing stays cheap).
"""

from __future__ import annotations

from pathlib import Path

SENTENCE_MODEL = "text-relevance"
SENTENCE_MODEL_VERSION = "1.0.0"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


def sentence_model_folder(data_dir: Path) -> Path:
    """Where the exported model lives in data folder ``data_dir``: ``models/text-relevance/<version>``
    (the folder ``PluginContext.models_dir`` gives text-relevance, plus the version)."""
    return data_dir / "models" / SENTENCE_MODEL / SENTENCE_MODEL_VERSION
