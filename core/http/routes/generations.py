"""Generation requests: run (or answer 202 and poll), stream text or speech as server-sent events, list."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.datastructures import State

from aigc.core.engine import Engine, GenerationStream
from aigc.core.errors import NotFoundError
from aigc.core.http.auth import require
from aigc.core.http.errors import ERROR_RESPONSES, NOT_FOUND
from aigc.core.http.ratelimit import retry_after_header
from aigc.core.http.schemas import (
    GenerationPage,
    GenerationQuery,
    PendingGeneration,
    RequestPage,
    RequestQuery,
)
from aigc.core.schemas import MAX_ID, Generation, GenerationRequest, GenerationResult
from aigc.core.specs import AudioChunk, StreamChunk
from aigc.core.validation import invalid
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["generations"], responses=ERROR_RESPONSES)
Read = Annotated[ApiKey, Depends(require("read"))]
Generate = Annotated[ApiKey, Depends(require("generate"))]


def admit(request: Request, body: GenerationRequest, key: ApiKey) -> Engine:
    """The engine, once ``body`` is known valid for it and within the server's limits, and its work
    units are taken from ``key``'s budget (429 when spent)."""
    settings = request.app.state.settings
    if body.n > settings.max_samples:
        raise invalid("n", body.n, f"this server makes at most {settings.max_samples} samples per request")
    engine: Engine = request.app.state.engine
    prepared = engine.prepare(body)
    if prepared.cost > settings.max_request_cost:
        raise invalid(
            "n",
            body.n,
            f"this request costs {prepared.cost} work units (n {body.n} x best_of {body.best_of} x "
            f"{prepared.cost // len(prepared.seeds)} per sample, from its options); this server accepts "
            f"at most {settings.max_request_cost} per request",
        )
    wait_s = request.app.state.work.acquire(key.id, prepared.cost)
    if wait_s > 0:
        raise HTTPException(
            429,
            f"this API key's work budget ({settings.cost_per_s:g} units per second) is spent; "
            f"this request costs {prepared.cost}",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
    return engine


def run_request(state: State, body: GenerationRequest) -> GenerationResult:
    """Run ``body`` on the server's engine, recording its duration in the metrics."""
    engine: Engine = state.engine
    started = time.perf_counter()
    result = engine.generate(body)
    state.metrics.observe_generation(body.generator, result.status, time.perf_counter() - started)
    return result


@router.post(
    "/generations",
    response_model=GenerationResult,
    responses={202: {"model": PendingGeneration, "description": "still running: poll the given URL"}},
)
async def create_generation(
    request: Request,
    body: GenerationRequest,
    key: Generate,
    wait: Annotated[
        float | None, Query(ge=0, le=600, description="seconds to wait before answering 202 (server default)")
    ] = None,
) -> GenerationResult | JSONResponse:
    """Run one request (the Python API's schema) and return the stored result, or 202 with a ticket
    to poll when it takes longer than ``wait`` seconds. Invalid requests get 422 before any work."""
    state = request.app.state
    await run_in_threadpool(admit, request, body, key)  # it reads and writes the database
    future: Future[GenerationResult] = state.in_flight.submit(partial(run_request, state, body))
    await asyncio.wait(
        {asyncio.wrap_future(future)}, timeout=state.settings.default_wait_s if wait is None else wait
    )
    if future.done():
        error = future.exception()
        if error is not None:
            raise error  # the plugin found the request invalid (422), or a bug (500)
        return future.result()
    ticket = await run_in_threadpool(state.pending.add, future)
    pending = PendingGeneration(id=ticket, status="pending", poll=_poll(ticket))
    return JSONResponse(pending.model_dump(mode="json"), status_code=202, headers={"Location": pending.poll})


@router.get("/generations/pending/{ticket}", responses=NOT_FOUND)
def poll_generation(
    request: Request, ticket: Annotated[str, Path(pattern="^[0-9a-f]{32}$")], key: Read
) -> PendingGeneration:
    """A request answered with 202: still pending, or its stored result (or error). Any server
    process sharing the database answers."""
    found = request.app.state.pending.get(ticket)
    if found is None:
        raise NotFoundError(f"no pending request {ticket} on this server")
    store = request.app.state.engine.store
    result = None if found.request_id is None else store.get_request(found.request_id)
    return PendingGeneration(
        id=ticket, status=found.status, poll=_poll(ticket), result=result, error=found.error
    )


def _poll(ticket: str) -> str:
    return f"/v1/generations/pending/{ticket}"


def _event(chunk: StreamChunk) -> str:
    if isinstance(chunk, AudioChunk):
        audio = {"pcm": base64.b64encode(chunk.pcm).decode(), "sample_rate": chunk.sample_rate}
        return f"event: audio\ndata: {json.dumps(audio)}\n\n"
    return f"event: delta\ndata: {json.dumps({'text': chunk}, ensure_ascii=False)}\n\n"


def _events(stream: GenerationStream) -> Iterator[str]:
    yield from map(_event, stream)
    result = stream.result.model_dump_json() if stream.result else "null"
    yield f"event: result\ndata: {result}\n\n"


async def started(events: Iterator[str], stream: GenerationStream) -> AsyncIterator[str]:
    """``events`` (made from ``stream``) with the first one already taken (on a worker thread): a
    request refused when it starts (invalid, or 429 because the model's queue is full) is answered
    with its status code rather than inside a 200 stream. The rest are taken on worker threads too,
    and when the response ends early (the client went away) ``stream`` is closed there at once."""
    first = await run_in_threadpool(next, events, None)
    return _closing(first, events, stream)


async def _closing(first: str | None, events: Iterator[str], stream: GenerationStream) -> AsyncIterator[str]:
    try:
        event = first
        while event is not None:
            yield event
            event = await run_in_threadpool(next, events, None)
    finally:
        with anyio.CancelScope(shield=True):  # a cancelled response still closes its stream
            await run_in_threadpool(stream.close)


@router.post(
    "/generations/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "'delta' events ({\"text\": ...}) of a text generator or 'audio' events "
            '({"pcm": base64 16-bit little-endian mono PCM, "sample_rate": ...}, a sentence each) of a '
            "speech generator, then one 'result' event (the stored result)",
        }
    },
)
async def stream_generation(request: Request, body: GenerationRequest, key: Generate) -> StreamingResponse:
    """Stream a single-sample request of a text or speech generator as server-sent events while it
    is generated."""
    stream = await run_in_threadpool(lambda: admit(request, body, key).stream(body))
    return StreamingResponse(await started(_events(stream), stream), media_type="text/event-stream")


@router.get("/generations")
def list_generations(
    request: Request, query: Annotated[GenerationQuery, Query()], key: Read
) -> GenerationPage:
    """Stored samples, newest first, with their artifacts and evaluations."""
    store = request.app.state.engine.store
    items = store.list_generations(query, limit=query.limit, offset=query.offset)
    return GenerationPage(
        items=items, total=store.count_generations(query), limit=query.limit, offset=query.offset
    )


@router.get("/requests")
def list_requests(request: Request, query: Annotated[RequestQuery, Query()], key: Read) -> RequestPage:
    """Stored requests, newest first, with their samples; ``status=failed`` lists those that failed
    before storing any sample, with their error."""
    store = request.app.state.engine.store
    items = store.list_requests(query, limit=query.limit, offset=query.offset)
    return RequestPage(items=items, total=store.count_requests(query), limit=query.limit, offset=query.offset)


@router.get("/generations/{generation_id}", responses=NOT_FOUND)
def get_generation(
    request: Request, generation_id: Annotated[int, Path(ge=1, le=MAX_ID)], key: Read
) -> Generation:
    """One stored sample with its provenance, artifacts and evaluations."""
    generation: Generation = request.app.state.engine.store.get_generation(generation_id)
    return generation


@router.get("/requests/{request_id}", responses=NOT_FOUND)
def get_request(
    request: Request, request_id: Annotated[int, Path(ge=1, le=MAX_ID)], key: Read
) -> GenerationResult:
    """One stored request with all its samples and set-level evaluations."""
    result: GenerationResult = request.app.state.engine.store.get_request(request_id)
    return result
