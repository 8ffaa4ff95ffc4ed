"""What the OpenAI-compatible endpoints share: finding the generator a ``model`` names, running an
aigc request under the server's limits, and reporting each stored sample's verdict."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from aigc.core.http.openai.errors import openai_error
from aigc.core.http.openai.schemas import Verdict
from aigc.core.http.routes.generations import admit, run_request
from aigc.core.schemas import Generation, GenerationRequest, GenerationResult
from aigc.core.specs import GeneratorSpec, Modality
from aigc.storage.api_keys import ApiKey


class ModelNotFound(LookupError):
    """An OpenAI ``model`` that names no generator of the right kind (404 ``model_not_found``)."""


class GenerationFailed(RuntimeError):
    """The generator failed; the request is stored as failed (500 ``generation_failed``)."""


def generator_spec(request: Request, model: str, modality: Modality) -> GeneratorSpec:
    """The generator ``model`` names, if it makes ``modality``; else ``ModelNotFound`` listing
    those that do."""
    generators = request.app.state.engine.registry.generators
    spec: GeneratorSpec | None = generators.get(model)
    if spec is None or spec.modality != modality:
        names = ", ".join(sorted(s.name for s in generators.values() if s.modality == modality)) or "none"
        raise ModelNotFound(
            f"The model '{model}' does not exist or does not make {modality}; those that do: {names}"
        )
    return spec


async def run(request: Request, key: ApiKey, aigc_request: GenerationRequest) -> GenerationResult:
    """Run ``aigc_request`` as ``POST /v1/generations`` does (limits, work budget, in-flight
    bound); ``GenerationFailed`` when the generator failed (the request is stored either way)."""
    await run_in_threadpool(admit, request, aigc_request, key)  # it reads and writes the database
    state = request.app.state
    result: GenerationResult = await asyncio.wrap_future(
        state.in_flight.submit(partial(run_request, state, aigc_request))
    )
    if result.status == "failed":
        raise GenerationFailed(result.error or "the generator failed")
    return result


def aigc_request(**fields: Any) -> GenerationRequest:
    """The aigc request of ``fields`` that are given (``None`` ones left to their defaults)."""
    return GenerationRequest.model_validate({k: v for k, v in fields.items() if v is not None})


def verdict(generation: Generation) -> Verdict:
    """The stored sample behind an answer, and what the acceptance policy decided."""
    return Verdict(
        generation_id=generation.id,
        request_id=generation.request_id,
        status=generation.status,
        score=generation.score,
        reasons=generation.reasons,
    )


def install_handlers(app: FastAPI) -> None:
    """404 for unknown models and 500 for failed generations, in OpenAI's shape."""

    async def on_missing_model(request: Request, error: Exception) -> JSONResponse:
        return openai_error(404, str(error), "model", "model_not_found")

    async def on_failed(request: Request, error: Exception) -> JSONResponse:
        return openai_error(500, str(error), None, "generation_failed")

    app.add_exception_handler(ModelNotFound, on_missing_model)
    app.add_exception_handler(GenerationFailed, on_failed)
