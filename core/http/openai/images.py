"""``POST /v1/images/generations``: an image generator's samples as URLs of their stored artifacts
or as base64. Generators that draw from options rather than words take them as ``options``."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from aigc.core.http.auth import require
from aigc.core.http.openai.running import aigc_request, generator_spec, run, verdict
from aigc.core.http.openai.schemas import ERROR_RESPONSES, ImageRequest
from aigc.core.schemas import Generation
from aigc.core.specs import GeneratorSpec
from aigc.core.validation import invalid
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
Generate = Annotated[ApiKey, Depends(require("generate"))]


def _size_options(spec: GeneratorSpec, size: str | None) -> dict[str, int]:
    """``size`` as the generator's ``width`` and ``height`` options, where it has them."""
    if size in (None, "auto"):
        return {}
    fields = spec.options.model_fields
    if not {"width", "height"} <= set(fields):
        raise invalid("size", size, f"model '{spec.name}' has a fixed size; omit size or use 'auto'")
    width, _, height = (size or "").partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise invalid("size", size, "give WIDTHxHEIGHT, for example 512x512")
    return {"width": int(width), "height": int(height)}


def _image(request: Request, generation: Generation, response_format: str) -> dict[str, Any]:
    item: dict[str, Any] = {"revised_prompt": None, "aigc": verdict(generation).model_dump()}
    if generation.status == "rejected":
        return item  # reported, not returned: the policy rejected it (it is stored and in the gallery)
    artifact = generation.artifacts[0]
    if response_format == "b64_json":
        item["b64_json"] = base64.b64encode(
            request.app.state.engine.store.read_artifact(artifact.id)
        ).decode()
    else:
        item["url"] = str(request.url_for("get_artifact", artifact_id=artifact.id))
    return item


@router.post("/images/generations")
async def generate_images(request: Request, body: ImageRequest, key: Generate) -> dict[str, Any]:
    """``n`` images from an image generator, stored like any request."""
    spec = generator_spec(request, body.model, "image")
    prompt: str | None = body.prompt
    if spec.prompt == "none":
        if body.prompt.strip():
            raise invalid(
                "prompt", body.prompt, f"model '{spec.name}' takes no prompt: give '' and its options"
            )
        prompt = None
    options = body.options | _size_options(spec, body.size)
    asked = aigc_request(generator=spec.name, prompt=prompt, n=body.n, seed=body.seed, options=options)
    result = await run(request, key, asked)
    return {
        "created": int(time.time()),
        "data": [_image(request, g, body.response_format) for g in result.generations],
    }
