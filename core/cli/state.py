"""What every command shares: the settings from global options and a lazily built engine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

from aigc.core.config import Settings

if TYPE_CHECKING:
    from aigc.core.engine import Engine
    from aigc.core.plugins import PluginRegistry

console = Console()
errors = Console(stderr=True)


@dataclass
class CliState:
    settings: Settings = field(default_factory=Settings.from_env)
    _registry: PluginRegistry | None = None
    _engine: Engine | None = None

    @property
    def registry(self) -> PluginRegistry:
        """The installed plugins, loaded once per process."""
        if self._registry is None:
            from aigc.core.plugins import PluginRegistry

            self._registry = PluginRegistry.from_entry_points(self.settings)
        return self._registry

    @property
    def engine(self) -> Engine:
        """The engine (opens the store and applies migrations on first use)."""
        if self._engine is None:
            from aigc.core.engine import Engine

            self._engine = Engine(self.settings, registry=self.registry)
        return self._engine


def state(ctx: typer.Context) -> CliState:
    """The ``CliState`` stored on the root context by the app's callback."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def print_json(value: Any) -> None:
    """Pretty JSON on stdout (no Rich markup, so it pipes cleanly)."""
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` (literal text, never markup) to stderr and return the ``Exit`` to raise."""
    errors.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    return typer.Exit(code)
