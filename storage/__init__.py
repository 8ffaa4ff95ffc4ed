"""aigc's storage: the SQL store of requests and results, and the content-addressed blob store.

The engine, CLI and HTTP layers use ``Store`` only::

    from aigc.storage import Store

    with Store.open(Path("aigc-data")) as store:
        result = store.save(new_request)
        accepted = store.list_generations(GenerationFilter(status="accepted"), limit=10)

Names are imported on first use so that ``import aigc.storage.records`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Store": "aigc.storage.store",
    "BlobStore": "aigc.storage.blobs",
    "ModelRecord": "aigc.storage.views",
    "PluginErrorRecord": "aigc.storage.views",
    "NewRequest": "aigc.storage.records",
    "NewGeneration": "aigc.storage.records",
    "NewEvaluation": "aigc.storage.records",
    "GenerationFilter": "aigc.storage.filters",
    "RequestFilter": "aigc.storage.filters",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aigc.storage' has no attribute {name!r}")
    return getattr(import_module(module), name)
