"""The hooks a plugin implements. Built-in plugins use exactly these."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aigc.core.config import Settings
    from aigc.core.engine import Engine
    from aigc.core.specs import EvaluatorSpec, GeneratorSpec

PROJECT = "aigc"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def aigc_register_generators(register: Callable[[GeneratorSpec], None], settings: Settings) -> None:
    """Register generators by calling ``register(GeneratorSpec(...))`` once per generator;
    ``settings`` (the engine's folders) is there for specs that depend on installed models."""


@hookspec
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None], settings: Settings) -> None:
    """Register evaluators by calling ``register(EvaluatorSpec(...))`` once per evaluator;
    ``settings`` as for generators."""


@hookspec
def aigc_register_commands(cli: Any) -> None:
    """Add commands to the ``aigc`` command line (``cli`` is its Typer app)."""


@hookspec(historic=True)
def aigc_engine_started(engine: Engine) -> None:
    """Called once an engine is configured; late-registered plugins are called too."""
