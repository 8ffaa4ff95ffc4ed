"""aigc's core: the engine, the plugin SDK and the runtime layer.

Plugin authors need only the SDK (``aigc.core.sdk``), which this package re-exports::

    from aigc.core.sdk import hookimpl, GeneratorSpec, EvaluatorSpec, ArtifactData, EvalResult, Options

Names are imported on first use so that ``import aigc.core`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "GenerationRequest": "aigc.core.schemas",
    "AcceptancePolicy": "aigc.core.schemas",
    "Engine": "aigc.core.engine",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        return getattr(import_module(module), name)
    sdk = import_module("aigc.core.sdk")
    if name in sdk.__all__:
        return getattr(sdk, name)
    raise AttributeError(f"module 'aigc.core' has no attribute {name!r}")
