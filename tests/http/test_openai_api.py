"""The OpenAI-compatible endpoints, spoken to by the official ``openai`` client against a live server."""

from __future__ import annotations

import base64
import io
import threading
import time
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from aigc.core.http.settings import ServerSettings
from aigc.core.registered_models import register_model
from aigc.core.runtime import ModelRuntime
from aigc.storage.filters import GenerationFilter
from tests.http.live_server import LiveServer, live_server

openai = pytest.importorskip("openai", reason="the OpenAI-compatible API is tested with the openai package")

STORY = {"model": "text-transformer", "prompt": "In the beginning", "max_tokens": 12, "seed": 3}
SD_TINY = Path(__file__).parents[1] / "fixtures" / "sd_tiny"
CAPITAL = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture
def client(server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=server.keys["generate"], max_retries=0, timeout=120
    ) as client:
        yield client


def _bad_param(error: pytest.ExceptionInfo[openai.APIStatusError]) -> str | None:
    body = error.value.body
    assert isinstance(body, dict) and set(body) >= {"message", "type", "param", "code"}, body
    return body["param"]


def test_models_are_listed_with_their_owner(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"text-transformer", "smollm2", "text-perplexity", "image-gan"} <= set(models)
    assert models["smollm2"].owned_by == "smollm2" and models["smollm2"].created > 1_700_000_000
    assert client.models.retrieve("image-gan").id == "image-gan"
    with pytest.raises(openai.NotFoundError) as error:
        client.models.retrieve("no-such-model")
    assert _bad_param(error) == "model"


def test_a_completion_is_stored_and_repeatable(client: openai.OpenAI, server: LiveServer) -> None:
    first = client.completions.create(**STORY)
    again = client.completions.create(**STORY)
    assert first.choices[0].text and first.choices[0].text == again.choices[0].text
    assert first.choices[0].finish_reason == "length"
    assert first.usage is not None and first.usage.completion_tokens == 12 and first.usage.prompt_tokens > 0
    verdict = first.choices[0].model_extra["aigc"]  # type: ignore[index]
    stored = server.engine.store.get_generation(verdict["generation_id"])
    assert stored.artifacts[0].text == first.choices[0].text and stored.seed == 3


def test_completion_logprobs_describe_the_text(client: openai.OpenAI) -> None:
    choice = client.completions.create(**STORY, logprobs=2).choices[0]
    assert choice.logprobs is not None and choice.logprobs.tokens is not None
    assert "".join(choice.logprobs.tokens) == choice.text
    assert choice.logprobs.top_logprobs is not None and all(len(t) <= 2 for t in choice.logprobs.top_logprobs)
    assert all(lp is not None and lp <= 0 for lp in choice.logprobs.token_logprobs or [])
    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(**STORY, logprobs=2, stream=True)
    assert _bad_param(error) == "logprobs"


def test_penalties_are_honoured(client: openai.OpenAI) -> None:
    story = STORY | {"max_tokens": 48}
    plain = client.completions.create(**story).choices[0].text
    penalised = (
        client.completions.create(**story, frequency_penalty=2.0, presence_penalty=1.0).choices[0].text
    )
    assert penalised != plain
    words = penalised.split()
    assert len(set(words)) >= len(set(plain.split())) - 2  # fewer repeats, not more


def test_a_streamed_completion_equals_the_whole_one(client: openai.OpenAI) -> None:
    whole = client.completions.create(**STORY).choices[0].text
    chunks = list(client.completions.create(**STORY, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12


@pytest.mark.usefixtures("smollm2_home")
def test_chat_answers_streams_and_makes_n_choices(client: openai.OpenAI, server: LiveServer) -> None:
    answer = client.chat.completions.create(model="smollm2", messages=CAPITAL, temperature=0, max_tokens=24)
    assert "Paris" in (answer.choices[0].message.content or "")
    assert answer.choices[0].finish_reason == "stop" and answer.usage is not None
    scored = client.chat.completions.create(
        model="smollm2", messages=CAPITAL, temperature=0, max_tokens=24, logprobs=True, top_logprobs=2
    )
    content = scored.choices[0].logprobs.content if scored.choices[0].logprobs else None
    assert content and "".join(t.token for t in content) == scored.choices[0].message.content
    assert all(len(t.top_logprobs) == 2 and t.top_logprobs[0].logprob >= t.logprob for t in content)
    streamed = client.chat.completions.create(
        model="smollm2",
        messages=CAPITAL,
        temperature=0,
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(streamed)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == answer.choices[0].message.content
    )
    assert chunks[-1].usage == answer.usage
    two = client.chat.completions.create(model="smollm2", messages=CAPITAL, n=2, seed=5, max_tokens=8)
    assert [c.index for c in two.choices] == [0, 1]
    stopped = client.chat.completions.create(
        model="smollm2", messages=CAPITAL, temperature=0, max_tokens=24, stop=["Paris"]
    )
    assert "Paris" not in (stopped.choices[0].message.content or "")
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'aigc_decode_batch_rows_count{model="smollm2/quantized"}' in metrics
    assert 'aigc_time_to_first_token_seconds_count{model="smollm2/quantized"}' in metrics


def test_bad_parameters_are_400s_naming_them(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(**STORY | {"temperature": 3})
    assert _bad_param(error) == "temperature"
    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(**STORY, extra_body={"mirostat": 2})
    assert _bad_param(error) == "mirostat"
    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(**STORY | {"max_tokens": 100_000})
    assert _bad_param(error) == "max_tokens"
    with pytest.raises(openai.BadRequestError) as error:
        client.completions.create(**STORY, presence_penalty=2.5)
    assert _bad_param(error) == "presence_penalty"
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="text-transformer", messages=CAPITAL)
    assert _bad_param(error) == "model"
    with pytest.raises(openai.NotFoundError) as missing:
        client.completions.create(**STORY | {"model": "no-such-model"})
    assert _bad_param(missing) == "model"
    assert client.completions.create(**STORY, user="someone", extra_body={"metadata": {"a": "b"}}).choices


def test_keys_are_required_and_limits_answer_429(
    server: LiveServer, tmp_path: Path, runtime: ModelRuntime
) -> None:
    anonymous = openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-a-key", max_retries=0)
    with anonymous, pytest.raises(openai.AuthenticationError) as error:
        anonymous.models.list()
    assert error.value.status_code == 401
    settings = ServerSettings(rate_per_s=0.01, burst=1)
    with (
        live_server(tmp_path / "aigc-data", runtime, settings) as limited,
        openai.OpenAI(
            base_url=f"{limited.url}/v1", api_key=limited.keys["generate"], max_retries=0
        ) as client,
    ):
        client.completions.create(**STORY)
        with pytest.raises(openai.RateLimitError) as limited_error:
            client.completions.create(**STORY)
    assert int(limited_error.value.response.headers["retry-after"]) >= 1


@pytest.mark.usefixtures("relevance_home")
def test_embeddings_equal_sentence_transformers(client: openai.OpenAI) -> None:
    from aigc.plugins.text_relevance.export import load_sentence_transformer

    texts = [
        "In the beginning God created the heaven and the earth.",
        "A hacker enjoys programmable systems.",
    ]
    reference = load_sentence_transformer().encode(texts)
    as_base64 = client.embeddings.create(model="text-relevance", input=texts)  # the client asks for base64
    as_floats = client.embeddings.create(model="text-relevance", input=texts[0], encoding_format="float")
    assert [e.index for e in as_base64.data] == [0, 1] and as_base64.usage.prompt_tokens > 10
    np.testing.assert_allclose([e.embedding for e in as_base64.data], reference, atol=1e-5)
    np.testing.assert_allclose(as_floats.data[0].embedding, reference[0], atol=1e-5)
    with pytest.raises(openai.BadRequestError) as error:
        client.embeddings.create(model="text-relevance", input=texts, dimensions=128)
    assert _bad_param(error) == "dimensions"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-perplexity", input=texts)


def test_images_come_as_base64_or_as_the_stored_artifacts_url(
    client: openai.OpenAI, server: LiveServer
) -> None:
    asked = {"model": "image-gan", "prompt": "", "n": 2, "extra_body": {"seed": 4, "options": {"label": 7}}}
    inline = client.images.generate(**asked, response_format="b64_json")
    linked = client.images.generate(**asked)
    assert inline.data is not None and linked.data is not None and len(inline.data) == 2
    for encoded, link in zip(inline.data, linked.data, strict=True):
        png = base64.b64decode(encoded.b64_json or "")
        assert png.startswith(b"\x89PNG") and link.url is not None
        assert httpx.get(link.url, headers=server.auth("read")).content == png
    with pytest.raises(openai.BadRequestError) as error:
        client.images.generate(model="image-gan", prompt="a cat")
    assert _bad_param(error) == "prompt"
    with pytest.raises(openai.BadRequestError) as error:
        client.images.generate(model="image-gan", prompt="", size="1024x1024")
    assert _bad_param(error) == "size"


def test_a_registered_pipeline_takes_size_n_and_response_format(
    client: openai.OpenAI, server: LiveServer
) -> None:
    register_model(server.engine.context.models_file, SD_TINY, "tiny")
    asked = {
        "model": "onnx-diffusion-pipeline",
        "prompt": "a lighthouse at night",
        "n": 2,
        "size": "96x64",
        "extra_body": {"seed": 4, "options": {"model": "tiny", "steps": 2}},
    }
    inline = client.images.generate(**asked, response_format="b64_json")
    linked = client.images.generate(**asked)
    assert inline.data is not None and linked.data is not None and len(inline.data) == 2
    for encoded, link in zip(inline.data, linked.data, strict=True):
        png = base64.b64decode(encoded.b64_json or "")
        assert Image.open(io.BytesIO(png)).size == (96, 64) and link.url is not None
        assert httpx.get(link.url, headers=server.auth("read")).content == png
    with pytest.raises(openai.BadRequestError) as error:
        client.images.generate(**asked | {"size": "large"})
    assert _bad_param(error) == "size"


@pytest.mark.usefixtures("relevance_home")
def test_the_built_in_text_to_image_model_answers_a_prompt(client: openai.OpenAI) -> None:
    asked = {"model": "image-text-diffusion", "n": 2, "extra_body": {"seed": 3, "options": {"steps": 5}}}
    apple = client.images.generate(prompt="a red apple", response_format="b64_json", **asked)
    ship = client.images.generate(prompt="a ship", response_format="b64_json", **asked)
    assert apple.data is not None and ship.data is not None and len(apple.data) == 2
    pixels = [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(d.b64_json or ""))))
        for d in (*apple.data, *ship.data)
    ]
    assert not np.array_equal(pixels[0], pixels[1])  # seeds 3 and 4
    assert not np.array_equal(pixels[0], pixels[2])  # another prompt, same seed


@pytest.mark.usefixtures("voice_home")
def test_speech_is_spoken_in_the_asked_format(client: openai.OpenAI, server: LiveServer) -> None:
    response = client.audio.speech.create(
        model="speech-piper",
        voice="alloy",
        input="Hello there.",
        response_format="wav",
        extra_body={"seed": 1},
    )
    with wave.open(io.BytesIO(response.content)) as audio:
        assert audio.getframerate() == 22_050 and 0.4 < audio.getnframes() / 22_050 < 3
    stored = server.engine.store.get_generation(int(response.response.headers["x-aigc-generation-id"]))
    assert server.engine.store.read_artifact(stored.artifacts[0].id) == response.content
    assert stored.options["voice"] == "joe-us" and stored.options["format"] == "wav"
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.speech.create(model="speech-piper", voice="alloy", input="Hi.", response_format="aac")
    assert _bad_param(error) == "response_format"


def test_native_errors_keep_their_shape(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.url}/v1/generations",
        json={"generator": "image-gan", "n": 0},
        headers=server.auth("generate"),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "n"


@pytest.mark.usefixtures("smollm2_home")
def test_a_full_decode_queue_answers_429(tmp_path: Path, runtime: ModelRuntime) -> None:
    story = {"model": "smollm2", "messages": [{"role": "user", "content": "Tell me a long story."}]}
    with (
        live_server(
            tmp_path / "aigc-data", runtime, ServerSettings(), decode_batch_rows=1, decode_queue_rows=1
        ) as busy,
        openai.OpenAI(base_url=f"{busy.url}/v1", api_key=busy.keys["generate"], max_retries=0) as client,
    ):
        running = client.chat.completions.create(**story, max_tokens=400, stream=True)
        next(iter(running))  # holds the only row
        batcher = _batcher(busy)
        waiting = threading.Thread(target=lambda: client.chat.completions.create(**story, max_tokens=4))
        waiting.start()
        deadline = time.monotonic() + 60
        while len(batcher._waiting) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(**story, max_tokens=4)
        running.close()
        waiting.join(timeout=120)
    assert int(refused.value.response.headers["retry-after"]) >= 1


def _batcher(server: LiveServer) -> Any:
    return server.engine.generator("smollm2").model("quantized").model  # type: ignore[attr-defined]


@pytest.mark.usefixtures("smollm2_home")
def test_32_concurrent_streamed_chats_equal_the_same_chats_alone(
    client: openai.OpenAI, server: LiveServer
) -> None:
    questions = [f"Give one fact about the number {n}." for n in range(32)]

    def chat(question: str, seed: int) -> str:
        stream = client.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": question}],
            max_tokens=16,
            temperature=0.8,
            seed=seed,
            stream=True,
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    with ThreadPoolExecutor(32) as pool:
        together = list(pool.map(chat, questions, range(32)))
    alone = [chat(question, seed) for seed, question in enumerate(questions)]  # one row in the batch each
    assert together == alone and all(together)


@pytest.mark.usefixtures("smollm2_home")
def test_a_client_that_disconnects_mid_stream_frees_its_row(server: LiveServer) -> None:
    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": "Tell me a long story about a dragon."}],
        "max_tokens": 2000,
        "stream": True,
    }
    with (
        httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=60) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
    batcher, deadline = _batcher(server), time.monotonic() + 30
    while batcher._running() or not _newest(server).error:
        newest = _newest(server)
        assert time.monotonic() < deadline, (
            f"the abandoned row kept decoding: {len(batcher._running())} rows running; newest "
            f"smollm2 generation {newest.id} ({newest.status}, error {newest.error!r})"
        )
        time.sleep(0.05)
    # stored as abandoned, not finished: the row left the batch early
    newest = _newest(server)
    assert (newest.error or "").startswith("cancelled"), f"generation {newest.id}: {newest.error!r}"


def _newest(server: LiveServer) -> Any:
    [newest] = server.engine.store.list_generations(GenerationFilter(generator="smollm2"), limit=1)
    return newest
