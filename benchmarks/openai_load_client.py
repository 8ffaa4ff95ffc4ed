"""The load generator of ``openai_load.py``: concurrent streaming chat clients (the official ``openai``
client's ``AsyncOpenAI``) against one OpenAI-compatible server; prints one JSON object.

    python benchmarks/openai_load_client.py --base-url http://127.0.0.1:8000/v1 --api-key KEY
        --model smollm2 [--concurrency 8] [--requests-per-client 4] [--max-tokens 128] [--warmup 2]
        [--extra-body '{"repeat_penalty": 1.0}']

Client ``i`` sends ``PROMPTS[i]``, ``PROMPTS[i + 1]``, ... (cycling), one request after the other, each
``temperature=0``, ``seed=0``, ``stream=True``, ``stream_options={"include_usage": True}``, plus the
fields of ``--extra-body`` (a server's own sampling settings). ``--warmup`` requests (sent together, not
measured) come first. Per request:

- TTFT: request sent to the first chunk with content;
- output tokens: ``usage.completion_tokens`` of the last chunk, or the number of content chunks when
  the server sends no usage (llama-cpp-python's server ignores ``include_usage``; it streams one
  token per chunk);
- TPOT: (last content chunk - first content chunk) / (output tokens - 1).

The run: output tokens of all requests / wall time from the first request sent to the last answer,
p50 and p95 (nearest rank) of TTFT and TPOT, failed requests with their errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import openai

PROMPTS = [
    "What is the capital of France?",
    "Why is the sky blue?",
    "How do plants make their food?",
    "What causes the seasons on Earth?",
    "Explain what a prime number is.",
    "How does a rainbow form?",
    "What is the water cycle?",
    "Why do cats purr?",
    "How far away is the Moon?",
    "What is photosynthesis?",
    "Give three tips for better sleep.",
    "What is the difference between weather and climate?",
    "How does a bicycle stay upright?",
    "Why do leaves change colour in autumn?",
    "What is gravity?",
    "How do bees make honey?",
    "Name three planets of the solar system.",
    "What is a volcano?",
    "How does the heart pump blood?",
    "Why is the ocean salty?",
    "What is an atom made of?",
    "How do airplanes fly?",
    "What is the tallest mountain on Earth?",
    "Why do we have day and night?",
    "How do vaccines work?",
    "What is a black hole?",
    "Write a short poem about the sea.",
    "How do fish breathe underwater?",
    "What is the speed of light?",
    "Why do birds migrate?",
    "What is democracy?",
    "How is glass made?",
]


@dataclass
class Request:
    """One measured request: seconds to the first content, seconds per later token, output tokens."""

    ttft_s: float
    tpot_s: float | None
    tokens: int
    usage_reported: bool


async def chat_request(
    client: openai.AsyncOpenAI, model: str, prompt: str, max_tokens: int, extra_body: dict[str, Any]
) -> Request:
    """Send one streaming chat request and time its chunks."""
    started = time.perf_counter()
    first = last = None
    chunks_with_content = 0
    usage_tokens = None
    stream = await client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0,
        seed=0,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=extra_body,
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            first = first or last
            chunks_with_content += 1
        if chunk.usage is not None:
            usage_tokens = chunk.usage.completion_tokens
    if first is None or last is None:
        raise RuntimeError(f"no content streamed for {prompt!r}")
    tokens = chunks_with_content if usage_tokens is None else usage_tokens
    tpot = (last - first) / (tokens - 1) if tokens > 1 else None
    return Request(first - started, tpot, tokens, usage_tokens is not None)


def nearest_rank(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` by nearest rank (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(requests: list[Request], failures: list[str], wall_s: float) -> dict[str, Any]:
    """The run's aggregate figures (milliseconds for latencies) with its requests and failures."""
    ttft = [r.ttft_s for r in requests]
    tpot = [r.tpot_s for r in requests if r.tpot_s is not None]
    tokens = sum(r.tokens for r in requests)
    return {
        "requests": len(requests),
        "failures": len(failures),
        "output_tokens": tokens,
        "wall_s": wall_s,
        "tokens_per_s": tokens / wall_s,
        "ttft_p50_ms": 1e3 * nearest_rank(ttft, 0.5),
        "ttft_p95_ms": 1e3 * nearest_rank(ttft, 0.95),
        "tpot_p50_ms": 1e3 * nearest_rank(tpot, 0.5),
        "tpot_p95_ms": 1e3 * nearest_rank(tpot, 0.95),
        "usage_reported": all(r.usage_reported for r in requests),
        "per_request": [asdict(r) for r in requests],
        "errors": failures,
    }


async def run_load(
    base_url: str,
    api_key: str,
    model: str,
    concurrency: int,
    requests_per_client: int,
    max_tokens: int,
    warmup: int,
    extra_body: dict[str, Any],
) -> dict[str, Any]:
    """Warm up, then run ``concurrency`` clients of ``requests_per_client`` requests each."""
    requests: list[Request] = []
    failures: list[str] = []
    async with openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=600) as client:

        def send(prompt: str) -> Coroutine[Any, Any, Request]:
            return chat_request(client, model, prompt, max_tokens, extra_body)

        await asyncio.gather(*(send(PROMPTS[i]) for i in range(warmup)))

        async def one_client(index: int) -> None:
            for n in range(requests_per_client):
                prompt = PROMPTS[(index + n) % len(PROMPTS)]
                try:
                    requests.append(await send(prompt))
                except (openai.APIError, httpx.HTTPError, RuntimeError) as error:
                    failures.append(f"{type(error).__name__}: {error}")

        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    return summary(requests, failures, wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the server's OpenAI base URL, ending in /v1")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--concurrency", type=int, default=8, help="clients sending at once")
    parser.add_argument("--requests-per-client", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=128, help="max_tokens of every request")
    parser.add_argument("--warmup", type=int, default=2, help="requests sent before measuring")
    parser.add_argument(
        "--extra-body", type=json.loads, default={}, help="JSON object added to every request"
    )
    args = parser.parse_args()
    for name in ("concurrency", "requests_per_client", "max_tokens"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}")
    if not 0 <= args.warmup <= len(PROMPTS):
        parser.error(f"--warmup must be between 0 and {len(PROMPTS)}, not {args.warmup}")
    result = asyncio.run(
        run_load(
            args.base_url,
            args.api_key,
            args.model,
            args.concurrency,
            args.requests_per_client,
            args.max_tokens,
            args.warmup,
            args.extra_body,
        )
    )
    print(json.dumps({"concurrency": args.concurrency, "max_tokens": args.max_tokens, **result}), flush=True)


if __name__ == "__main__":
    main()
