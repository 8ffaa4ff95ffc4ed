"""``POST /v1/audio/speech``: text spoken by a speech generator, answered with the audio file.

OpenAI's own voice names (``alloy``, ``echo``, …) select the generator's default voice, so clients
that hard-code one work; any other name must be an installed or registered voice. The answer's
``X-Aigc-Generation-Id`` header names the stored sample; a sample the acceptance policy rejected is
refused (422 ``rejected_by_policy``), not returned.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from aigc.core.http.auth import require
from aigc.core.http.openai.errors import openai_error
from aigc.core.http.openai.running import aigc_request, generator_spec, run
from aigc.core.http.openai.schemas import ERROR_RESPONSES, SpeechRequest
from aigc.core.validation import invalid
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
Generate = Annotated[ApiKey, Depends(require("generate"))]
OPENAI_VOICES = frozenset(
    ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
)
# OpenAI's response formats as aigc's audio formats (Ogg Opus is what OpenAI sends for "opus").
FORMATS = {"mp3": "mp3", "opus": "ogg", "flac": "flac", "wav": "wav", "pcm": "pcm"}


@router.post("/audio/speech", response_class=Response, responses={200: {"content": {"audio/mpeg": {}}}})
async def speech(request: Request, body: SpeechRequest, key: Generate) -> Response:
    """The audio of ``input`` in ``response_format``, stored like any request."""
    spec = generator_spec(request, body.model, "audio")
    if spec.prompt == "none":
        raise invalid("model", body.model, "does not speak text")
    if body.response_format not in FORMATS:
        raise invalid("response_format", body.response_format, f"supported: {', '.join(FORMATS)}")
    if body.instructions:
        raise invalid("instructions", body.instructions[:40], "voices here cannot be instructed")
    options: dict[str, object] = {"format": FORMATS[body.response_format], "speed": body.speed}
    if body.voice not in OPENAI_VOICES:
        options["voice"] = body.voice
    asked = aigc_request(generator=spec.name, prompt=body.input, seed=body.seed, options=options)
    result = await run(request, key, asked)
    generation = result.generations[0]
    if generation.status == "rejected":
        response: JSONResponse = openai_error(
            422,
            "the acceptance policy rejected the speech: " + "; ".join(generation.reasons),
            None,
            "rejected_by_policy",
        )
        response.headers["X-Aigc-Generation-Id"] = str(generation.id)
        return response
    artifact = generation.artifacts[0]
    data = request.app.state.engine.store.read_artifact(artifact.id)
    headers = {"X-Aigc-Generation-Id": str(generation.id), "X-Aigc-Request-Id": str(result.request_id)}
    return Response(data, media_type=artifact.media_type, headers=headers)
