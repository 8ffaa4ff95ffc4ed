"""``GET /healthz`` and ``GET /metrics`` (Prometheus text format); neither needs an API key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aigc.core.http.schemas import Health

router = APIRouter(tags=["system"])


@router.get("/healthz")
def health(request: Request) -> Health:
    """The server is up and its database answers."""
    engine = request.app.state.engine
    engine.store.ping()
    return Health(status="ok", generators=len(engine.registry.generators))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "metrics"}},
)
def metrics(request: Request) -> Response:
    """Requests, latency histograms, batch sizes and queue time, per route and generator."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
