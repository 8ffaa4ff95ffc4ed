"""Calling plugin code so that its failures are reported, never fatal."""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from aigc.core.errors import InvalidRequestError, OverloadedError, PluginCallError

PASSED_ON = (InvalidRequestError, OverloadedError)  # the caller's to handle, not plugin failures

T = TypeVar("T")


def call_with_timeout(what: str, timeout_s: float, fn: Callable[[], T]) -> T:
    """Run ``fn`` and return its result, or raise ``PluginCallError`` if it raises or outlives ``timeout_s``.

    The call runs on a daemon thread, in a copy of the caller's context (so a progress listener
    set by the caller hears it): a plugin that hangs is abandoned (Python cannot kill a thread) and
    the caller goes on; the process can still exit.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(fn)
        except BaseException as error:  # a plugin's SystemExit must not end the engine either
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=target, name=f"aigc:{what}", daemon=True).start()
    if not done.wait(timeout_s):
        raise PluginCallError(f"{what} did not finish within {timeout_s:g} s")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, PASSED_ON):
            raise error  # the request was invalid (e.g. a prompt too long) or must wait: not a plugin failure
        raise PluginCallError(f"{what} raised {type(error).__name__}: {error}") from error  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


Y = TypeVar("Y")
R = TypeVar("R")
_DONE, _YIELDED, _FAILED = "done", "yielded", "failed"


def iterate_with_timeout(
    what: str, timeout_s: float, make: Callable[[], Generator[Y, None, R]]
) -> Generator[Y, None, R]:
    """Yield what a plugin's generator yields and return its return value, all within ``timeout_s``.

    The plugin's generator runs on a daemon thread feeding a queue, so a plugin that stalls between
    items is abandoned like a hanging call; exceptions become ``PluginCallError``. Closing the
    returned generator (its consumer went away) closes the plugin's after its current item, so it
    can release what it holds (a decode batch row).
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue()
    abandoned = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            iterator = make()
            while not abandoned.is_set():
                items.put((_YIELDED, context.run(next, iterator)))
            iterator.close()
        except StopIteration as stop:
            items.put((_DONE, stop.value))
        except BaseException as error:
            items.put((_FAILED, error))

    threading.Thread(target=target, name=f"aigc:{what}", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            kind, value = items.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise PluginCallError(f"{what} did not finish within {timeout_s:g} s") from None
        if kind == _YIELDED:
            try:
                yield value
            except GeneratorExit:
                abandoned.set()
                raise
        elif kind == _DONE:
            return value  # type: ignore[no-any-return]
        elif isinstance(value, PASSED_ON):
            raise value
        else:
            raise PluginCallError(f"{what} raised {type(value).__name__}: {value}") from value
