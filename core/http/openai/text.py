"""``POST /v1/chat/completions`` and ``POST /v1/completions``: OpenAI text requests run as aigc
requests of a text generator, stored, evaluated and decided like any other.

A sample the acceptance policy rejected is reported, not silently returned: its choice has
``finish_reason: "content_filter"``, no content, and the policy's reasons under ``aigc``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from aigc.core.engine import GenerationStream
from aigc.core.http.auth import require
from aigc.core.http.openai.running import aigc_request, generator_spec, run, verdict
from aigc.core.http.openai.schemas import (
    ERROR_RESPONSES,
    MAX_STOP_STRINGS,
    ChatCompletionRequest,
    CompletionRequest,
    Sampling,
    Usage,
)
from aigc.core.http.routes.generations import admit, started
from aigc.core.schemas import Generation, GenerationRequest, GenerationResult
from aigc.core.specs import GeneratorSpec
from aigc.core.validation import invalid
from aigc.storage.api_keys import ApiKey

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
Generate = Annotated[ApiKey, Depends(require("generate"))]
_FINISH = {"stop": "stop", "length": "length", "context": "length"}


def _refuse_unsupported(body: Sampling) -> None:
    """400 for parameters that would change the output in ways aigc does not honour yet."""
    if body.logit_bias:
        raise invalid("logit_bias", body.logit_bias, "is not supported")
    if body.logprobs not in (None, False) and body.stream:
        raise invalid("logprobs", body.logprobs, "is not supported with stream yet")
    if body.stream and body.n > 1:
        raise invalid("n", body.n, "a streamed request makes one choice; use n=1")


def _options(body: Sampling, spec: GeneratorSpec, max_tokens: int | None) -> dict[str, Any]:
    fields = spec.options.model_fields
    options: dict[str, Any] = {}
    if max_tokens is not None:
        options["max_new_tokens"] = max_tokens
    if body.temperature is not None:
        options["temperature"] = body.temperature
    if body.top_p is not None:
        options["top_p"] = body.top_p
    for name in ("presence_penalty", "frequency_penalty"):
        if getattr(body, name):
            options[name] = getattr(body, name)
    top = _top_logprobs(body)
    if top is not None:
        options["logprobs"] = top
    if body.stop is not None:
        stops = [body.stop] if isinstance(body.stop, str) else body.stop
        if len(stops) > MAX_STOP_STRINGS:
            raise invalid("stop", stops, f"at most {MAX_STOP_STRINGS} stop strings")
        options["stop"] = stops
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise invalid(unknown[0], options[unknown[0]], f"model '{spec.name}' has no such setting")
    return options


def _usage(result: GenerationResult) -> Usage:
    metadata = [g.artifacts[0].metadata for g in result.generations if g.artifacts]
    prompt = int(metadata[0].get("prompt_tokens", 0)) if metadata else 0
    completion = sum(int(m.get("new_tokens", 0)) for m in metadata)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def _finish_reason(generation: Generation) -> str:
    if generation.status == "rejected":
        return "content_filter"
    return _FINISH.get(str(generation.artifacts[0].metadata.get("finish_reason", "stop")), "stop")


def _content(generation: Generation) -> str | None:
    return None if generation.status == "rejected" else generation.artifacts[0].text


def _request(body: Sampling, spec: GeneratorSpec, options: dict[str, Any], **input: Any) -> GenerationRequest:
    return aigc_request(generator=spec.name, n=body.n, seed=body.seed, options=options, **input)


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _stream_events(
    stream: GenerationStream,
    head: dict[str, Any],
    chunk_of: Callable[[str | None, str | None, bool], dict[str, Any]],
    include_usage: bool,
) -> Iterator[str]:
    """OpenAI's chunks: one per text delta, a last one with the finish reason, the usage chunk
    when asked, then ``[DONE]``."""
    chunks = iter(stream)
    first = next(chunks, None)  # a request refused as it starts raises here, before any output
    yield _sse(head | {"choices": [chunk_of(None, None, True)]})
    for delta in itertools.chain([first], chunks):
        if isinstance(delta, str) and delta:
            yield _sse(head | {"choices": [chunk_of(delta, None, False)]})
    result = stream.result
    if result is None or result.status == "failed":
        message = result.error if result is not None and result.error else "the generator failed"
        yield _sse({"error": {"message": message, "type": "server_error", "param": None, "code": None}})
        yield "data: [DONE]\n\n"
        return
    generation = result.generations[0]
    final = chunk_of(None, _finish_reason(generation), False) | {"aigc": verdict(generation).model_dump()}
    yield _sse(head | {"choices": [final]})
    if include_usage:
        yield _sse(head | {"choices": [], "usage": _usage(result).model_dump()})
    yield "data: [DONE]\n\n"


@dataclass(frozen=True)
class _Shape:
    """How one endpoint writes its answers: ids, object names, a choice and a stream chunk."""

    prefix: str
    object: str
    chunk_object: str
    choice: Callable[[Generation], dict[str, Any]]
    chunk: Callable[[str | None, str | None, bool], dict[str, Any]]


def _top_logprobs(body: Sampling) -> int | None:
    """How many alternatives per token the request asks for (``None``: no log-probabilities)."""
    if isinstance(body, ChatCompletionRequest):
        if body.top_logprobs is not None and not body.logprobs:
            raise invalid("top_logprobs", body.top_logprobs, "needs logprobs: true")
        return (body.top_logprobs or 0) if body.logprobs else None
    top: int | None = body.logprobs
    return top


def _stored_logprobs(generation: Generation) -> list[dict[str, Any]] | None:
    if generation.status == "rejected":
        return None
    records: list[dict[str, Any]] | None = generation.artifacts[0].metadata.get("logprobs")
    return records


def _chat_choice(generation: Generation) -> dict[str, Any]:
    message = {"role": "assistant", "content": _content(generation), "refusal": None}
    records = _stored_logprobs(generation)
    if records is None:
        return {"message": message, "logprobs": None}

    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    content = [
        entry(r["token"], r["logprob"])
        | {"top_logprobs": [entry(t["token"], t["logprob"]) for t in r["top"]]}
        for r in records
    ]
    return {"message": message, "logprobs": {"content": content, "refusal": None}}


def _chat_chunk(text: str | None, finish: str | None, first: bool) -> dict[str, Any]:
    delta = {"role": "assistant", "content": ""} if first else ({"content": text} if text else {})
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}


def _completion_choice(generation: Generation) -> dict[str, Any]:
    text = _content(generation) or ""
    records = _stored_logprobs(generation)
    if records is None:
        return {"text": text, "logprobs": None}
    offsets = list(itertools.accumulate((len(r["token"]) for r in records[:-1]), initial=0))
    logprobs = {
        "tokens": [r["token"] for r in records],
        "token_logprobs": [r["logprob"] for r in records],
        "top_logprobs": [{t["token"]: t["logprob"] for t in r["top"]} for r in records],
        "text_offset": offsets,
    }
    return {"text": text, "logprobs": logprobs}


def _completion_chunk(text: str | None, finish: str | None, first: bool) -> dict[str, Any]:
    return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}


CHAT = _Shape("chatcmpl", "chat.completion", "chat.completion.chunk", _chat_choice, _chat_chunk)
COMPLETION = _Shape("cmpl", "text_completion", "text_completion", _completion_choice, _completion_chunk)


async def _answer(
    request: Request, key: ApiKey, body: Sampling, aigc_request: GenerationRequest, shape: _Shape
) -> Any:
    """Run ``aigc_request`` and answer in ``shape``: one body, or server-sent chunks."""
    created = int(time.time())
    if body.stream:
        stream = await run_in_threadpool(lambda: admit(request, aigc_request, key).stream(aigc_request))
        head = {
            "id": f"{shape.prefix}-{secrets.token_hex(12)}",
            "object": shape.chunk_object,
            "created": created,
            "model": aigc_request.generator,
        }
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = _stream_events(stream, head, shape.chunk, include_usage)
        return StreamingResponse(await started(events, stream), media_type="text/event-stream")
    result = await run(request, key, aigc_request)
    choices = [
        {"index": g.index, **shape.choice(g), "finish_reason": _finish_reason(g)}
        | {"aigc": verdict(g).model_dump()}
        for g in result.generations
    ]
    return {
        "id": f"{shape.prefix}-{result.request_id}",
        "object": shape.object,
        "created": created,
        "model": aigc_request.generator,
        "system_fingerprint": (result.generations[0].model_sha256 or "")[:16] or None,
        "choices": choices,
        "usage": _usage(result).model_dump(),
    }


@router.post("/chat/completions")
async def chat_completions(request: Request, body: ChatCompletionRequest, key: Generate) -> Any:
    """OpenAI's chat completion: ``messages`` answered by a chat generator."""
    _refuse_unsupported(body)
    if body.tools:
        raise invalid("tools", len(body.tools), "tool calls are not supported")
    if body.response_format is not None and body.response_format.type != "text":
        raise invalid("response_format", body.response_format.type, "only {'type': 'text'} is supported yet")
    spec = generator_spec(request, body.model, "text")
    if not spec.chat:
        raise invalid("model", body.model, "is not a chat model; use /v1/completions")
    messages = [
        {
            "role": "system" if m.role == "developer" else m.role,
            "content": m.content if isinstance(m.content, str) else "".join(p.text for p in m.content),
        }
        for m in body.messages
    ]
    options = _options(body, spec, body.max_completion_tokens or body.max_tokens)
    return await _answer(request, key, body, _request(body, spec, options, messages=messages), CHAT)


@router.post("/completions")
async def completions(request: Request, body: CompletionRequest, key: Generate) -> Any:
    """OpenAI's legacy completion: ``prompt`` continued as plain text."""
    _refuse_unsupported(body)
    for name in ("echo", "suffix", "best_of"):
        if getattr(body, name) not in (None, False, 1):
            raise invalid(name, getattr(body, name), "is not supported")
    spec = generator_spec(request, body.model, "text")
    prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
    if len(prompts) != 1:
        raise invalid("prompt", len(prompts), "give one prompt per request")
    options = _options(body, spec, body.max_tokens)
    if "template" in spec.options.model_fields:
        options["template"] = "none"
    return await _answer(request, key, body, _request(body, spec, options, prompt=prompts[0]), COMPLETION)
