"""A progress bar row for the steps that generators report while a command waits on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import Progress, TaskID

from aigc.core.progress import listening


@contextmanager
def step_progress(bar: Progress, description: str = "steps", **fields: Any) -> Iterator[None]:
    """Show the steps reported inside the block as one row of ``bar``, added at the first report."""
    task: TaskID | None = None

    def listener(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task(description, total=total, **fields)
        bar.update(task, completed=done, total=total)

    with listening(listener):
        yield
