"""``GET /v1/models`` and ``GET /v1/models/{id}``: every generator and evaluator as an OpenAI model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from aigc.core.http.auth import require
from aigc.core.http.openai.running import ModelNotFound
from aigc.core.http.openai.schemas import ERROR_RESPONSES, Model, ModelList
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
Read = Annotated[ApiKey, Depends(require("read"))]


def _models(request: Request) -> dict[str, Model]:
    """Generators, then evaluators a generator does not shadow; ``created`` is when the server
    loaded them, ``owned_by`` the plugin that registered them."""
    registry = request.app.state.engine.registry
    created = int(request.app.state.started_at)
    models: dict[str, Model] = {}
    for label, specs in (("generator", registry.generators), ("evaluator", registry.evaluators)):
        for name in sorted(specs):
            owner = registry.owner_of(label, name) or "aigc"
            models.setdefault(name, Model(id=name, created=created, owned_by=owner))
    return models


@router.get("/models")
def list_models(request: Request, key: Read) -> ModelList:
    """Every installed generator and evaluator."""
    return ModelList(data=list(_models(request).values()))


@router.get("/models/{model}")
def get_model(request: Request, model: str, key: Read) -> Model:
    """One model; 404 ``model_not_found`` when nothing has that name."""
    found = _models(request).get(model)
    if found is None:
        raise ModelNotFound(f"The model '{model}' does not exist")
    return found
