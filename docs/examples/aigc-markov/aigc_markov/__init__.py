"""``markov``: continues a prompt with a word-level Markov chain of the Zen of Python.

Importing this module is cheap (pydantic and aigc.core.sdk only); ONNX Runtime is loaded by the factory.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from aigc.core.sdk import GeneratorSpec, PluginContext, hookimpl
from aigc_markov.options import MarkovOptions

MODEL_DIR = Path(__file__).resolve().parent
VERSION = version("aigc-markov")  # pyproject.toml's version, the one number to bump; export.py writes it


def build(context: PluginContext) -> Any:
    """Load the chain (``model.onnx``, sha256-checked by the runtime) and its vocabulary."""
    from aigc_markov.generator import MarkovGenerator

    return MarkovGenerator(context.runtime.session(MODEL_DIR, "model.onnx"), MODEL_DIR)


@hookimpl
def aigc_register_generators(register: Callable[[GeneratorSpec], None]) -> None:
    """Register the ``markov`` generator."""
    register(
        GeneratorSpec(
            name="markov",
            modality="text",
            version=VERSION,
            options=MarkovOptions,
            factory=build,
            media_types=("text/plain",),
            prompt="optional",
            model_dir=MODEL_DIR,
            description="a word-level Markov chain of the Zen of Python; options: words, temperature",
            examples=({"prompt": "Beautiful is", "options": {"words": 16}, "n": 2},),
        )
    )
