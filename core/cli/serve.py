"""``aigc serve``: the HTTP API and gallery on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from aigc.core.cli.state import fail, state

BATCH_HELP = (
    "dynamic batching of a stateless generator: NAME or NAME=DELAY_MS[:MAX_BATCH] (repeatable); "
    "default: every stateless generator, 5 ms, up to 32 samples"
)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8000,
    batch: Annotated[list[str] | None, typer.Option("--batch", help=BATCH_HELP)] = None,
    no_batching: Annotated[
        bool, typer.Option("--no-batching", help="one generator call per request")
    ] = False,
    rate: Annotated[float, typer.Option(min=0.001, help="requests per second per API key")] = 20.0,
    burst: Annotated[int, typer.Option(min=1, help="requests a key may make at once")] = 100,
    wait: Annotated[float, typer.Option(min=0, max=600, help="seconds before answering 202 pending")] = 30.0,
    max_request_cost: Annotated[
        int, typer.Option(min=1, help="most work units (samples x steps or tokens) of one request")
    ] = 16_384,
    cost_rate: Annotated[float, typer.Option(min=0.001, help="work units per second per API key")] = 1_000.0,
    cost_burst: Annotated[int, typer.Option(min=1, help="work units a key may spend at once")] = 32_768,
    grace_period: Annotated[
        float,
        typer.Option(min=0, max=3600, help="on SIGTERM, seconds to finish and store accepted requests"),
    ] = 30.0,
    ticket_lease: Annotated[
        float,
        typer.Option(min=1, max=3600, help="seconds before a dead process's 202 ticket reads as failed"),
    ] = 30.0,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=256,
            help="server processes behind the port, sharing database and blobs; each loads its own models",
        ),
    ] = 1,
    shared_limits: Annotated[
        bool,
        typer.Option(
            "--shared-limits",
            help="rate limits in the database, shared with other servers using it (on with --workers > 1)",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (/docs for its OpenAPI page) and the gallery (/gallery)."""
    import uvicorn

    from aigc.core.http.app import check_batching, create_app
    from aigc.core.http.settings import ServerSettings, batching_policies
    from aigc.core.http.workers import WorkerConfig

    cli = state(ctx)
    try:
        policies = {} if no_batching else batching_policies(cli.registry.generators.values(), batch or [])
        settings = ServerSettings(
            rate_per_s=rate,
            burst=burst,
            max_request_cost=max_request_cost,
            cost_per_s=cost_rate,
            cost_burst=cost_burst,
            default_wait_s=wait,
            grace_period_s=grace_period,
            ticket_lease_s=ticket_lease,
            shared_limits=shared_limits or workers > 1,
            batching=policies,
        )
        check_batching(cli.engine, settings)  # opening the engine migrated the database, once
    except ValueError as error:
        raise fail(str(error), code=2) from None
    if workers == 1:
        uvicorn.run(create_app(cli.engine, settings), host=host, port=port, log_level="info")
        return
    cli.engine.close()  # each worker opens its own
    WorkerConfig(engine=cli.settings, server=settings).export()
    uvicorn.run(
        "aigc.core.http.workers:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
    )
