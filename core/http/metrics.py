"""Prometheus metrics of one server: HTTP requests, generation latency, batch sizes and queue time."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aigc.core.batching import BatchStats
from aigc.core.decoding.scheduler import RowReport, StepReport

_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
_TOKEN_BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)


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

        self.decode_running = Gauge(
            "aigc_decode_running_rows", "rows in a chat model's shared decode batch", ["model"],
            registry=self.registry,
        )  # fmt: skip
        self.decode_waiting = Gauge(
            "aigc_decode_waiting_rows", "rows waiting to join a chat model's decode batch", ["model"],
            registry=self.registry,
        )  # fmt: skip
        self.decode_batch = Histogram(
            "aigc_decode_batch_rows", "rows decoded together per step", ["model"],
            buckets=_SIZE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.first_token = Histogram(
            "aigc_time_to_first_token_seconds", "from a row's submission to its first token", ["model"],
            registry=self.registry,
        )  # fmt: skip
        self.per_token = Histogram(
            "aigc_time_per_output_token_seconds", "a row's time per output token after its first", ["model"],
            buckets=_TOKEN_BUCKETS, registry=self.registry,
        )  # fmt: skip

    def observe_decoding(self, report: StepReport | RowReport) -> None:
        """Record a continuous-batching step or a finished row (the schedulers' observer)."""
        if isinstance(report, StepReport):
            self.decode_batch.labels(report.model).observe(report.batch_size)
            self.decode_running.labels(report.model).set(report.running)
            self.decode_waiting.labels(report.model).set(report.waiting)
            return
        self.first_token.labels(report.model).observe(report.first_token_s)
        if report.per_token_s is not None:
            self.per_token.labels(report.model).observe(report.per_token_s)

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
