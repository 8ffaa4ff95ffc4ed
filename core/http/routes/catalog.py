"""``GET /v1/generators``: what can be generated, with each generator's options as JSON schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from aigc.core.http.auth import require
from aigc.core.http.errors import ERROR_RESPONSES
from aigc.core.http.schemas import GeneratorInfo
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["generators"], responses=ERROR_RESPONSES)


@router.get("/generators")
def list_generators(
    request: Request, key: Annotated[ApiKey, Depends(require("read"))]
) -> list[GeneratorInfo]:
    """Installed generators: modality, media types, prompt use and the JSON schema of their options."""
    batching = request.app.state.settings.batching
    return [
        GeneratorInfo(
            name=spec.name,
            modality=spec.modality,
            version=spec.version,
            description=spec.description,
            media_types=list(spec.media_types),
            prompt=spec.prompt,
            max_batch_size=spec.max_batch_size,
            stateless=spec.stateless,
            batched=spec.name in batching,
            options_schema=spec.options.model_json_schema(),
        )
        for spec in sorted(request.app.state.engine.registry.generators.values(), key=lambda s: s.name)
    ]
