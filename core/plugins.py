"""Loading plugins from the ``aigc`` entry point group, with every failure isolated and recorded.

Each entry point is imported and each hook implementation is called on its own: a plugin that
fails to import, or whose hook raises or registers something malformed, is skipped and listed in
``PluginRegistry.errors``; the others load as usual. ``AIGC_LOAD_PLUGINS`` (comma-separated entry
point names) restricts loading to an allow-list; set it empty to load none.
"""

from __future__ import annotations

import os
import traceback as tb
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from aigc.core import hookspecs
from aigc.core.config import Settings
from aigc.core.specs import EvaluatorSpec, GeneratorSpec

if TYPE_CHECKING:
    from aigc.core.engine import Engine

ENTRY_POINT_GROUP = "aigc"
ALLOW_LIST_ENV = "AIGC_LOAD_PLUGINS"


@dataclass(frozen=True)
class PluginError:
    """Why a plugin, or one of its hooks, was skipped."""

    plugin: str
    stage: str  # import, register, hook name, factory
    error_type: str
    message: str
    traceback: str

    @classmethod
    def from_exception(cls, plugin: str, stage: str, error: BaseException) -> PluginError:
        """The failure ``error``; an import failure names the plugin's file and line that raised it."""
        message = str(error) or type(error).__name__
        origin = _origin(error) if stage == "import" else None
        return cls(
            plugin=plugin,
            stage=stage,
            error_type=type(error).__name__,
            message=f"{message} (at {origin})" if origin else message,
            traceback="".join(tb.format_exception(error)),
        )

    @property
    def summary(self) -> str:
        """One line: stage, exception type and message."""
        return f"{self.stage}: {self.error_type}: {self.message}"


def _origin(error: BaseException) -> str | None:
    """``file:line`` of the innermost frame outside the import machinery, e.g. the plugin
    submodule's ``import`` statement that raised ``ModuleNotFoundError``."""
    frames = [
        f
        for f in tb.extract_tb(error.__traceback__)
        if not f.filename.startswith("<frozen ")
        and "importlib" not in Path(f.filename).parts
        and f.filename != __file__
    ]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def allow_list() -> set[str] | None:
    """Entry point names allowed by ``AIGC_LOAD_PLUGINS``, or None when every plugin may load."""
    value = os.environ.get(ALLOW_LIST_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginRegistry:
    """The loaded plugins and what they registered; registration hooks see ``settings`` (default:
    from the environment), the engine's folders."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.generators: dict[str, GeneratorSpec] = {}
        self.evaluators: dict[str, EvaluatorSpec] = {}
        self.owner: dict[str, str] = {}  # "generator:name" -> plugin name
        self.errors: list[PluginError] = []
        self._engine: Engine | None = None

    @classmethod
    def from_entry_points(cls, settings: Settings | None = None) -> PluginRegistry:
        """A registry with every allowed installed plugin loaded."""
        registry = cls(settings)
        registry.load_entry_points()
        return registry

    def load_entry_points(self) -> None:
        allowed = allow_list()
        for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
            if allowed is not None and point.name not in allowed:
                continue
            if self.manager.has_plugin(point.name):
                continue
            try:
                plugin = point.load()
            except BaseException as error:
                self.errors.append(PluginError.from_exception(point.name, "import", error))
                continue
            self.add(plugin, point.name)

    def add(self, plugin: Any, name: str) -> bool:
        """Register a plugin object or module under ``name``; False (and an error) if it is rejected."""
        try:
            self.manager.register(plugin, name=name)
            self.manager.check_pending()
        except Exception as error:
            if self.manager.has_plugin(name):
                self.manager.unregister(name=name)
            self.errors.append(PluginError.from_exception(name, "register", error))
            return False
        self._collect(name, "aigc_register_generators", GeneratorSpec, self.generators, "generator")
        self._collect(name, "aigc_register_evaluators", EvaluatorSpec, self.evaluators, "evaluator")
        if self._engine is not None:
            self._call_started(name, self._engine)
        return True

    def _impls(self, plugin_name: str, hook: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.manager.hook, hook)
        return [impl for impl in caller.get_hookimpls() if impl.plugin_name == plugin_name]

    def call_isolated(self, plugin_name: str, hook: str, **kwargs: Any) -> bool:
        """Call one plugin's implementation of ``hook``; record and swallow what it raises."""
        ok = True
        for impl in self._impls(plugin_name, hook):
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except BaseException as error:
                self.errors.append(PluginError.from_exception(plugin_name, hook, error))
                ok = False
        return ok

    def _collect(
        self,
        plugin_name: str,
        hook: str,
        kind: type[GeneratorSpec] | type[EvaluatorSpec],
        target: dict[str, Any],
        label: str,
    ) -> None:
        collected: list[GeneratorSpec | EvaluatorSpec] = []

        def register(spec: GeneratorSpec | EvaluatorSpec) -> None:
            if not isinstance(spec, kind):
                raise TypeError(f"register() takes a {kind.__name__}, got {type(spec).__name__}")
            owner = self.owner.get(f"{label}:{spec.name}")
            if owner is not None or any(s.name == spec.name for s in collected):
                raise ValueError(
                    f"{label} {spec.name!r} is already registered by plugin {owner or plugin_name!r}"
                )
            collected.append(spec)

        if self.call_isolated(plugin_name, hook, register=register, settings=self.settings):  # all or nothing
            for spec in collected:
                target[spec.name] = spec
                self.owner[f"{label}:{spec.name}"] = plugin_name

    def register_commands(self, cli: Any) -> None:
        """Let every plugin add commands to the CLI."""
        for name in self.plugin_names:
            self.call_isolated(name, "aigc_register_commands", cli=cli)

    def engine_started(self, engine: Engine) -> None:
        """Tell every plugin, now and any added later, that ``engine`` is ready."""
        self._engine = engine
        for name in self.plugin_names:
            self._call_started(name, engine)

    def _call_started(self, name: str, engine: Engine) -> None:
        self.call_isolated(name, "aigc_engine_started", engine=engine)

    @property
    def plugin_names(self) -> list[str]:
        return sorted(name for name, _ in self.manager.list_name_plugin())

    def failure_of(self, plugin: str) -> PluginError | None:
        """The first recorded failure of plugin ``plugin`` (e.g. why it did not load), or None."""
        return next((e for e in self.errors if e.plugin == plugin), None)

    def owner_of(self, label: str, name: str) -> str | None:
        """Which plugin registered generator/evaluator ``name``."""
        return self.owner.get(f"{label}:{name}")

    def record_failure(self, plugin: str, stage: str, error: BaseException) -> PluginError:
        """Add a failure observed after loading (a factory or a call) to ``errors``."""
        failure = PluginError.from_exception(plugin, stage, error)
        self.errors.append(failure)
        return failure


def names(specs: Iterable[GeneratorSpec | EvaluatorSpec]) -> str:
    """Comma-separated sorted names, for error messages."""
    return ", ".join(sorted(s.name for s in specs)) or "none"
