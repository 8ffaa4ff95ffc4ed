"""What a generator or evaluator factory receives: the model runtime and the engine's folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.config import Settings
from aigc.core.runtime import ModelRuntime

if TYPE_CHECKING:
    from aigc.core.runtime import Device


@dataclass(frozen=True)
class PluginContext:
    """The engine a plugin runs in. Factories take their folders from here, never from the
    environment, so ``aigc --data-dir D`` (or ``Engine(Settings(data_dir=D))``) applies to every
    plugin. ``PluginContext()`` (a new runtime, settings from the environment) suits scripts and tests."""

    runtime: ModelRuntime = field(default_factory=ModelRuntime)
    settings: Settings = field(default_factory=Settings.from_env)

    @property
    def device(self) -> Device:
        """The runtime's device setting: ``auto``, ``cpu`` or ``cuda``."""
        return self.runtime.device

    @property
    def data_dir(self) -> Path:
        """The engine's data folder (``--data-dir``, ``AIGC_HOME``)."""
        return self.settings.data_dir

    @property
    def models_file(self) -> Path:
        """The registry of model folders that ``aigc models add`` writes."""
        return self.settings.resolved_models_file

    def models_dir(self, name: str) -> Path:
        """Where ``aigc models install`` puts model ``name``'s variants: ``data_dir/models/name``."""
        return self.data_dir / "models" / name

    def cache_dir(self, name: str) -> Path:
        """A folder for what plugin ``name`` derives and may rebuild: ``data_dir/cache/name``."""
        return self.data_dir / "cache" / name
