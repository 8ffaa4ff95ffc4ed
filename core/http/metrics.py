"""Prometheus metrics of one server: HTTP requests, generation latency, batch sizes and queue time."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigc.core.batching import BatchStats

_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ServerMetrics:
    """The metrics, in a registry of their own (so that several apps in one process do not clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aigc_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "aigc_http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry
        )
        self.generations = Counter(
            "aigc_generation_requests", "generation requests", ["generator", "status"], registry=self.registry
        )
        self.generation_latency = Histogram(
            "aigc_generation_seconds",
            "time to run and store a request",
            ["generator"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "aigc_batch_size", "samples per merged generator call", ["generator"],
            buckets=_SIZE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.batch_requests = Histogram(
            "aigc_batch_requests", "requests per merged generator call", ["generator"],
            buckets=_SIZE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.queue_time = Histogram(
            "aigc_batch_queue_seconds", "time a request waited for its batch", ["generator"],
            registry=self.registry,
        )  # fmt: skip

    def observe_batch(self, stats: BatchStats) -> None:
        """Record one merged call (the batcher's observer)."""
        self.batch_size.labels(stats.generator).observe(stats.size)
        self.batch_requests.labels(stats.generator).observe(stats.requests)
        for waited_ms in stats.queue_ms:
            self.queue_time.labels(stats.generator).observe(waited_ms / 1000)

    def observe_generation(self, generator: str, status: str, seconds: float) -> None:
        """Record one finished generation request."""
        self.generations.labels(generator, status).inc()
        self.generation_latency.labels(generator).observe(seconds)


class RequestMetrics:
    """ASGI middleware counting requests and timing them, labelled by route template."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
            self.metrics.latency.labels(scope["method"], path).observe(time.perf_counter() - started)
