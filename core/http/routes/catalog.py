"""``GET /v1/generators`` and ``GET /v1/evaluators``: what can be generated and scored, with each
plugin's options as JSON schema. The catalogue is built once per app: plugins load before it starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from aigc.core.http.auth import require
from aigc.core.http.errors import ERROR_RESPONSES
from aigc.core.http.schemas import EvaluatorInfo, GeneratorInfo
from aigc.core.plugins import PluginRegistry
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["catalog"], responses=ERROR_RESPONSES)
Read = Annotated[ApiKey, Depends(require("read"))]


@dataclass(frozen=True)
class Catalog:
    """The installed generators and evaluators, by name."""

    generators: list[GeneratorInfo]
    evaluators: list[EvaluatorInfo]


def build_catalog(registry: PluginRegistry, batched: set[str]) -> Catalog:
    """The catalogue of ``registry``; ``batched`` names the generators the server batches."""
    generators = [
        GeneratorInfo(
            name=spec.name,
            modality=spec.modality,
            version=spec.version,
            description=spec.description,
            media_types=list(spec.media_types),
            prompt=spec.prompt,
            max_batch_size=spec.max_batch_size,
            stateless=spec.stateless,
            batched=spec.name in batched,
            options_schema=spec.options.model_json_schema(),
        )
        for spec in sorted(registry.generators.values(), key=lambda s: s.name)
    ]
    evaluators = [
        EvaluatorInfo(
            name=spec.name,
            version=spec.version,
            description=spec.description,
            media_types=list(spec.media_types),
            scope=spec.scope,
            options_schema=spec.options.model_json_schema(),
        )
        for spec in sorted(registry.evaluators.values(), key=lambda s: s.name)
    ]
    return Catalog(generators, evaluators)


@router.get("/generators")
def list_generators(request: Request, key: Read) -> list[GeneratorInfo]:
    """Installed generators: modality, media types, prompt use and the JSON schema of their options."""
    catalog: Catalog = request.app.state.catalog
    return catalog.generators


@router.get("/evaluators")
def list_evaluators(request: Request, key: Read) -> list[EvaluatorInfo]:
    """Installed evaluators: media types they score, item or set scope and the JSON schema of their
    options."""
    catalog: Catalog = request.app.state.catalog
    return catalog.evaluators
