"""aigc's core: the engine, the plugin API and the runtime layer.

Plugin authors need only what this package exports::

    from aigc.core import hookimpl, GeneratorSpec, EvaluatorSpec, ArtifactData, EvalResult, Options

Names are imported on first use so that ``import aigc.core`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "hookimpl": "aigc.core.hookspecs",
    "GeneratorSpec": "aigc.core.specs",
    "EvaluatorSpec": "aigc.core.specs",
    "ArtifactData": "aigc.core.specs",
    "GeneratorInput": "aigc.core.specs",
    "EvalItem": "aigc.core.specs",
    "Options": "aigc.core.specs",
    "EvalResult": "aigc.core.schemas",
    "GenerationRequest": "aigc.core.schemas",
    "AcceptancePolicy": "aigc.core.schemas",
    "ModelRuntime": "aigc.core.runtime",
    "Engine": "aigc.core.engine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aigc.core' has no attribute {name!r}")
    return getattr(import_module(module), name)
