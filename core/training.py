"""Training helpers shared by the built-in plugins' ``train.py`` scripts.

torch is imported only for type checking, so importing this module needs neither torch nor a
model; Rich is a core dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    import torch


def training_progress(console: Console) -> Progress:
    """A Rich progress bar with a ``status`` field (``progress.add_task(name, total=steps, status="")``)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, TextColumn("{task.fields[status]}"), console=console)


def update_ema(ema: torch.nn.Module, live: torch.nn.Module, decay: float) -> None:
    """``ema = decay * ema + (1 - decay) * live`` for every parameter (decay 0 copies ``live``)."""
    import torch

    with torch.no_grad():
        for ema_param, param in zip(ema.parameters(), live.parameters(), strict=True):
            ema_param.lerp_(param, 1.0 - decay)
