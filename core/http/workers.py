"""``aigc serve --workers N``: each worker process builds its own engine and app (plugins, models,
dynamic batcher) from the settings the serve command leaves in the environment; they share the
database and the blob store behind one port."""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.http.app import create_app
from aigc.core.http.settings import ServerSettings

CONFIG_VARIABLE = "AIGC_SERVE_WORKER"


class WorkerConfig(BaseModel):
    """What every worker serves: the engine's settings and the server's."""

    engine: Settings
    server: ServerSettings

    def export(self) -> None:
        """Leave this configuration in the environment, where the worker processes find it."""
        os.environ[CONFIG_VARIABLE] = self.model_dump_json()


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's app factory), from the exported configuration."""
    config = WorkerConfig.model_validate_json(os.environ[CONFIG_VARIABLE])
    return create_app(Engine(config.engine), config.server)
