"""``GET /v1/artifacts/{id}`` (bytes, ETag = sha256) and ``POST /v1/feedback``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from aigc.core.http.auth import require
from aigc.core.http.errors import ERROR_RESPONSES, NOT_FOUND
from aigc.core.schemas import MAX_ID, Feedback, FeedbackInput
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["artifacts"], responses=ERROR_RESPONSES | NOT_FOUND)
ArtifactId = Annotated[int, Path(ge=1, le=MAX_ID, description="artifact id")]
# Artifacts are content-addressed: the bytes behind an id never change.
_CACHE = "private, max-age=31536000, immutable"


@router.get(
    "/artifacts/{artifact_id}",
    response_class=Response,
    responses={
        200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}, "description": "bytes"},
        304: {"description": "unchanged (If-None-Match matched the ETag)"},
    },
)
def get_artifact(
    request: Request, artifact_id: ArtifactId, key: Annotated[ApiKey, Depends(require("read"))]
) -> Response:
    """An artifact's bytes with its media type; the ETag is its sha256, so If-None-Match gives 304."""
    return artifact_response(request, artifact_id)


def artifact_response(request: Request, artifact_id: int) -> Response:
    """The bytes of ``artifact_id`` (or 304 when the client's ETag matches), for the API and the gallery."""
    store = request.app.state.engine.store
    artifact = store.get_artifact(artifact_id)
    etag = f'"{artifact.sha256}"'
    headers = {"ETag": etag, "Cache-Control": _CACHE}
    sent = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    return Response(store.read_artifact(artifact_id), media_type=artifact.media_type, headers=headers)


@router.post("/feedback", status_code=201)
async def add_feedback(
    request: Request, body: FeedbackInput, key: Annotated[ApiKey, Depends(require("read"))]
) -> Feedback:
    """Store a person's rating of an artifact (author defaults to the API key's name)."""
    feedback = body if body.author else body.model_copy(update={"author": key.name})
    result: Feedback = await run_in_threadpool(request.app.state.engine.store.add_feedback, feedback)
    return result
