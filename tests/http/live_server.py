"""A real uvicorn server on 127.0.0.1 (an OS-assigned free port) in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.http.app import create_app
from aigc.core.http.settings import ServerSettings
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from tests.installed_models import model_cache


@dataclass
class LiveServer:
    """A running server, its engine and one API key per scope."""

    url: str
    app: FastAPI
    engine: Engine
    keys: dict[str, str]

    def auth(self, scope: str) -> dict[str, str]:
        """Headers authenticating with the key of ``scope``."""
        return {"Authorization": f"Bearer {self.keys[scope]}"}


@contextmanager
def live_server(
    data_dir: Path,
    runtime: ModelRuntime,
    settings: ServerSettings,
    database_url: str | None = None,
    **engine_settings: Any,
) -> Iterator[LiveServer]:
    """Serve a fresh engine with its store in ``data_dir`` (and ``database_url``: default SQLite there)
    until the end. Its plugins find installed models in the test cache, where the fixtures that need
    one (``voice_home``, ``smollm2_home``) install it, even after the server has started.
    ``engine_settings`` override the engine's other settings."""
    engine = Engine(
        Settings(
            data_dir=model_cache(),
            models_file=data_dir / "models.json",
            database_url=database_url or f"sqlite:///{data_dir / 'aigc.db'}",
            blob_url=str(data_dir / "blobs"),
            generator_timeout_s=60,
            evaluator_timeout_s=60,
            **engine_settings,
        ),
        registry=PluginRegistry.from_entry_points(),
        runtime=runtime,
    )
    app = create_app(engine, settings)
    api_keys = engine.store.api_keys
    keys = {scope: api_keys.create(f"test-{scope}", scope)[1] for scope in ("read", "generate", "admin")}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    host, port = sock.getsockname()
    try:
        yield LiveServer(f"http://{host}:{port}", app, engine, keys)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.close()
        sock.close()
