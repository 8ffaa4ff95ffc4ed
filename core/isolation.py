"""Calling plugin code so that its failures are reported, never fatal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from aigc.core.errors import PluginCallError

T = TypeVar("T")


def call_with_timeout(what: str, timeout_s: float, fn: Callable[[], T]) -> T:
    """Run ``fn`` and return its result, or raise ``PluginCallError`` if it raises or outlives ``timeout_s``.

    The call runs on a daemon thread: a plugin that hangs is abandoned (Python cannot kill a
    thread) and the caller goes on; the process can still exit.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as error:  # a plugin's SystemExit must not end the engine either
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=target, name=f"aigc:{what}", daemon=True).start()
    if not done.wait(timeout_s):
        raise PluginCallError(f"{what} did not finish within {timeout_s:g} s")
    if "error" in outcome:
        error = outcome["error"]
        raise PluginCallError(f"{what} raised {type(error).__name__}: {error}") from error  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
