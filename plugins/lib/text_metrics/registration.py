"""The ``EvaluatorSpec`` of a plain-text evaluator, as the text plugins register theirs (pydantic only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from aigc.core.sdk import EvaluatorSpec


def text_evaluator(
    name: str,
    version: str,
    options: type[BaseModel],
    factory: Callable[[Any], Any],
    description: str,
    **fields: Any,
) -> EvaluatorSpec:
    """An evaluator of ``text/plain`` artifacts; ``fields`` are further ``EvaluatorSpec`` fields."""
    return EvaluatorSpec(
        name=name,
        version=version,
        options=options,
        factory=factory,
        media_types=("text/plain",),
        description=description,
        **fields,
    )
