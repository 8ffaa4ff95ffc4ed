"""The application factory: routes, error handlers, limits, metrics and the gallery around one engine."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from aigc.core.batching import DynamicBatcher
from aigc.core.decoding import scheduler
from aigc.core.engine import Engine
from aigc.core.http import errors
from aigc.core.http.gallery import routes as gallery
from aigc.core.http.limits import BodyLimit
from aigc.core.http.metrics import RequestMetrics, ServerMetrics
from aigc.core.http.openai import routes as openai_routes
from aigc.core.http.pending import InFlight, Tickets
from aigc.core.http.process import WorkerHeader
from aigc.core.http.ratelimit import rate_limiter
from aigc.core.http.routes import artifacts, catalog, generations, system
from aigc.core.http.settings import ServerSettings
from aigc.core.http.upkeep import upkeep

log = logging.getLogger(__name__)
DESCRIPTION = """Generate, review and rate content with aigc's generators and evaluators.

Authenticate with an API key from `aigc api-keys create --scope read|generate|admin`, sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>`. Errors are JSON: `detail`, and for invalid
requests one entry per bad field with its value and limit."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    observer = app.state.metrics.observe_decoding
    scheduler.add_observer(observer)
    with upkeep(app.state.pending):
        yield
        scheduler.remove_observer(observer)
        # uvicorn has stopped taking requests; those already acknowledged (a 202 ticket) must still
        # be stored, so wait for them (their tickets' leases renewed) before the process exits
        # (uvicorn then re-raises SIGTERM).
        grace_s = app.state.settings.grace_period_s
        unfinished = await asyncio.to_thread(app.state.in_flight.drain, grace_s)
    if unfinished:
        log.warning(
            "%d generation requests were not finished within the %g s grace period", unfinished, grace_s
        )


def check_batching(engine: Engine, settings: ServerSettings) -> None:
    """Refuse batching for generators that are not installed or keep state between calls."""
    for name, policy in settings.batching.items():
        spec = engine.registry.generators.get(name)
        if spec is None or not spec.stateless:
            raise ValueError(f"batching {name!r}: only installed stateless generators can be batched")
        if policy.max_batch_size > spec.max_batch_size:
            raise ValueError(
                f"batching {name!r}: max_batch_size {policy.max_batch_size} exceeds the generator's "
                f"{spec.max_batch_size}"
            )


def create_app(engine: Engine, settings: ServerSettings | None = None) -> FastAPI:
    """The HTTP API and gallery serving ``engine``; batching as ``settings.batching`` says."""
    settings = settings or ServerSettings()
    check_batching(engine, settings)
    metrics = ServerMetrics()
    if settings.batching:
        engine.batcher = DynamicBatcher(
            settings.batching, engine.settings.generator_timeout_s, metrics.observe_batch
        )
    app = FastAPI(title="aigc", version="1", description=DESCRIPTION, lifespan=_lifespan)
    app.state.engine = engine
    app.state.started_at = time.time()
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.catalog = catalog.build_catalog(engine.registry, set(settings.batching))
    app.state.api_keys = engine.store.api_keys
    store = engine.store
    shared = settings.shared_limits
    app.state.limiter = rate_limiter(store, "requests", settings.rate_per_s, settings.burst, shared)
    app.state.work = rate_limiter(store, "work", settings.cost_per_s, settings.cost_burst, shared)
    app.state.auth_failures = rate_limiter(
        store, "auth-failures", settings.auth_failures_per_s, settings.auth_failure_burst, shared
    )
    app.state.pending = Tickets(store, settings.ticket_lease_s)
    app.state.in_flight = InFlight(ThreadPoolExecutor(settings.workers, thread_name_prefix="aigc:request"))
    errors.install_error_handlers(app)
    for router in (catalog.router, generations.router, artifacts.router, system.router):
        app.include_router(router)
    openai_routes.install(app)
    gallery.install(app)
    app.add_api_route("/", lambda: RedirectResponse("/gallery", status_code=307), include_in_schema=False)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(WorkerHeader)
    return app
