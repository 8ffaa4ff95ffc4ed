"""Every OpenAI-compatible route, and their error handlers, added to the server's app."""

from __future__ import annotations

from fastapi import FastAPI

from aigc.core.http.openai import embeddings, images, models, running, speech, text


def install(app: FastAPI) -> None:
    """Serve the OpenAI-compatible endpoints from ``app`` (next to the native API)."""
    for module in (models, text, embeddings, images, speech):
        app.include_router(module.router)
    running.install_handlers(app)
