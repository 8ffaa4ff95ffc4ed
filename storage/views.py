"""Records the store returns besides the core schemas: loaded models and plugin failures."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ModelRecord(BaseModel):
    """A model file some process has loaded, with every execution provider it ran on."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    version: str
    file: str
    sha256: str
    opset: int | None
    providers: list[str]
    first_seen: datetime
    last_used: datetime


class PluginErrorRecord(BaseModel):
    """A plugin's generator or evaluator that failed to build (factory) or to run (generate, evaluate)."""

    model_config = ConfigDict(frozen=True)

    id: int
    plugin: str
    stage: str
    error_type: str
    message: str
    traceback: str
    created_at: datetime
