"""The HTTP API against a real uvicorn server: auth, limits, generation, artifacts, feedback, streaming."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from aigc.core.http.settings import ServerSettings
from aigc.core.runtime import ModelRuntime
from aigc.storage.filters import GenerationFilter
from tests.http.live_server import LiveServer, live_server
from tests.storage.factories import new_request

GAN = {
    "generator": "image-gan",
    "options": {"label": 3},
    "n": 2,
    "seed": 5,
    "evaluators": ["image-class-match"],
}


@pytest.fixture
def client(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=60) as client:
        yield client


def test_requests_without_a_valid_key_get_401(server: LiveServer) -> None:
    for headers in ({}, {"Authorization": "Bearer aigc_nope"}, {"X-API-Key": "wrong"}):
        response = httpx.get(f"{server.url}/v1/generators", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "API key" in response.json()["detail"]


def test_a_key_with_too_weak_a_scope_gets_403(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/v1/generations", json=GAN, headers=server.auth("read"))
    assert response.status_code == 403 and "'generate'" in response.json()["detail"]
    assert (
        httpx.get(f"{server.url}/v1/generators", headers={"X-API-Key": server.keys["read"]}).status_code
        == 200
    )


def test_a_revoked_key_gets_401(server: LiveServer) -> None:
    keys = server.engine.store.api_keys
    key, token = keys.create("leaving", "read")
    assert httpx.get(f"{server.url}/v1/generators", headers={"X-API-Key": token}).status_code == 200
    keys.revoke(key.id)
    assert httpx.get(f"{server.url}/v1/generators", headers={"X-API-Key": token}).status_code == 401


def test_generators_list_their_options_schema(client: httpx.Client) -> None:
    generators = {g["name"]: g for g in client.get("/v1/generators").json()}
    gan = generators["image-gan"]
    assert gan["modality"] == "image" and gan["stateless"] and gan["batched"]
    assert {"type": "integer", "minimum": 0, "maximum": 9} in gan["options_schema"]["properties"]["label"][
        "anyOf"
    ]
    assert not generators["text-transformer"]["stateless"] and not generators["text-transformer"]["batched"]


def test_evaluators_list_their_scope_and_options_schema(client: httpx.Client) -> None:
    evaluators = {e["name"]: e for e in client.get("/v1/evaluators").json()}
    match = evaluators["image-class-match"]
    assert match["scope"] == "item" and "image/png" in match["media_types"]
    assert match["options_schema"]["type"] == "object"


def test_failed_requests_are_listed_with_their_error(client: httpx.Client, server: LiveServer) -> None:
    failed = server.engine.store.save(new_request(0, status="failed", error="PluginCallError: [boom]"))
    page = client.get("/v1/requests", params={"status": "failed", "limit": 100}).json()
    listed = {r["request_id"]: r for r in page["items"]}
    assert listed[failed.request_id]["error"] == "PluginCallError: [boom]"
    assert listed[failed.request_id]["generations"] == []
    assert page["total"] == len(page["items"]) and all(r["status"] == "failed" for r in page["items"])
    assert client.get("/v1/requests", params={"limit": 101}).status_code == 422


def test_a_generation_returns_the_stored_result(client: httpx.Client, server: LiveServer) -> None:
    response = client.post("/v1/generations", json=GAN)
    assert response.status_code == 200
    result = response.json()
    stored = server.engine.store.get_request(result["request_id"])
    assert result == json.loads(stored.model_dump_json()) | {"timings": result["timings"]}
    assert [g["seed"] for g in result["generations"]] == [5, 6]
    assert all(g["evaluations"][0]["metric"] == "class_match" for g in result["generations"])
    assert client.get(f"/v1/requests/{result['request_id']}").json()["generations"] == result["generations"]
    generation = result["generations"][0]
    assert client.get(f"/v1/generations/{generation['id']}").json() == generation


def test_invalid_options_get_422_naming_the_field_and_nothing_is_stored(
    client: httpx.Client, server: LiveServer
) -> None:
    before = server.engine.store.count_generations()
    response = client.post("/v1/generations", json={"generator": "image-gan", "options": {"label": 12}})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "options.label" and error["value"] == 12 and "9" in error["message"]
    response = client.post("/v1/generations", json={"generator": "image-gan", "n": 65})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "n"
    assert "64" in response.json()["errors"][0]["message"]
    response = client.post("/v1/generations", json={"generator": "image-gan", "colour": "red"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "colour"
    response = client.post(
        "/v1/generations", json={"generator": "image-gan", "options": {"label": True, "x": 1}}
    )
    assert response.status_code == 422
    assert [(e["field"], e["message"].split(";")[0]) for e in response.json()["errors"]] == [
        ("options.x", "unknown option"),
        ("options.label", "expected an integer, got a boolean"),
    ]
    assert server.engine.store.count_generations() == before


def test_a_body_over_the_limit_gets_413_before_it_is_read(client: httpx.Client) -> None:
    huge = {"generator": "image-gan", "metadata": {"x": "y" * 2_000_000}}
    response = client.post(
        "/v1/generations", content=json.dumps(huge), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and "1000000 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit applies while the body streams in
        for _ in range(40):
            yield b"x" * 50_000

    response = client.post("/v1/generations", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_artifacts_come_with_their_media_type_and_etag(client: httpx.Client) -> None:
    artifact = client.post("/v1/generations", json=GAN).json()["generations"][0]["artifacts"][0]
    response = client.get(f"/v1/artifacts/{artifact['id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert hashlib.sha256(response.content).hexdigest() == artifact["sha256"]
    assert response.headers["etag"] == f'"{artifact["sha256"]}"'
    cached = client.get(
        f"/v1/artifacts/{artifact['id']}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert cached.status_code == 304 and cached.content == b""
    assert client.get("/v1/artifacts/999999").status_code == 404


def test_feedback_is_stored_with_the_key_name_as_author(client: httpx.Client, server: LiveServer) -> None:
    artifact = client.post("/v1/generations", json=GAN).json()["generations"][0]["artifacts"][0]
    response = client.post(
        "/v1/feedback",
        json={"artifact_id": artifact["id"], "rating": -1, "comment": "smudged"},
        headers=server.auth("read"),
    )
    assert response.status_code == 201
    [stored] = server.engine.store.list_feedback(artifact["id"])
    assert (stored.rating, stored.comment, stored.author) == (-1, "smudged", "test-read")
    bad = client.post("/v1/feedback", json={"artifact_id": artifact["id"], "rating": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rating"


def test_listing_filters_and_pages(client: httpx.Client) -> None:
    client.post("/v1/generations", json={"generator": "image-vae", "n": 3, "seed": 1})
    page = client.get("/v1/generations", params={"generator": "image-vae", "limit": 2}).json()
    assert page["total"] >= 3 and len(page["items"]) == 2
    assert all(g["generator"] == "image-vae" for g in page["items"])
    following = client.get(
        "/v1/generations", params={"generator": "image-vae", "limit": 2, "offset": 2}
    ).json()
    assert not {g["id"] for g in page["items"]} & {g["id"] for g in following["items"]}
    scored = client.get("/v1/generations", params={"min_score": 0.5}).json()["items"]
    assert scored and all(g["score"] >= 0.5 for g in scored)
    assert client.get("/v1/generations", params={"job_run_id": 1}).json()["total"] == 0
    assert client.get("/v1/generations", params={"limit": 101}).status_code == 422


def test_a_slow_request_answers_202_and_can_be_polled(client: httpx.Client) -> None:
    response = client.post(
        "/v1/generations", params={"wait": 0}, json={"generator": "image-diffusion", "seed": 2}
    )
    assert response.status_code == 202
    pending = response.json()
    assert pending["status"] == "pending" and response.headers["location"] == pending["poll"]
    for _ in range(600):
        polled = client.get(pending["poll"]).json()
        if polled["status"] != "pending":
            break
    assert polled["status"] == "completed"
    assert polled["result"]["generations"][0]["generator"] == "image-diffusion"
    assert client.get("/v1/generations/pending/" + "0" * 32).status_code == 404


def test_text_streams_as_server_sent_events(client: httpx.Client) -> None:
    request = {
        "generator": "text-transformer",
        "prompt": "In the beginning",
        "seed": 3,
        "options": {"max_new_tokens": 12},
    }
    with client.stream("POST", "/v1/generations/stream", json=request) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [block for block in response.read().decode().split("\n\n") if block]
    deltas = [json.loads(e.split("data: ", 1)[1])["text"] for e in events if e.startswith("event: delta")]
    assert events[-1].startswith("event: result") and len(deltas) > 1
    result = json.loads(events[-1].split("data: ", 1)[1])
    assert result["generations"][0]["artifacts"][0]["text"].endswith("".join(deltas))
    refused = client.post("/v1/generations/stream", json={"generator": "image-gan"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "generator"


@pytest.mark.usefixtures("smollm2_home")
def test_a_chat_generator_answers_messages_and_stores_them(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "Answer in one short sentence."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    body = {"generator": "smollm2", "messages": messages, "options": {"temperature": 0, "max_new_tokens": 24}}
    response = client.post("/v1/generations", json=body)
    assert response.status_code == 200, response.text
    (generation,) = response.json()["generations"]
    assert generation["messages"] == messages and "Paris" in generation["artifacts"][0]["text"]
    both = client.post("/v1/generations", json={**body, "prompt": "hello"})
    assert both.status_code == 422 and "not both" in both.text


def test_health_and_metrics_need_no_key(client: httpx.Client, server: LiveServer) -> None:
    client.post("/v1/generations", json=GAN)
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'aigc_http_requests_total{method="POST",route="/v1/generations",status="200"}' in metrics
    assert 'aigc_batch_size_count{generator="image-gan"}' in metrics
    assert 'aigc_batch_queue_seconds_bucket{generator="image-gan"' in metrics
    assert 'aigc_generation_seconds_count{generator="image-gan"}' in metrics


def test_a_key_over_its_rate_gets_429_with_retry_after(tmp_path: Path, runtime: ModelRuntime) -> None:
    with live_server(tmp_path / "data", runtime, ServerSettings(rate_per_s=0.5, burst=3)) as server:
        codes = [httpx.get(f"{server.url}/v1/generators", headers=server.auth("read")) for _ in range(4)]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        assert int(codes[-1].headers["retry-after"]) >= 1
        # Each key has its own bucket.
        assert httpx.get(f"{server.url}/v1/generators", headers=server.auth("admin")).status_code == 200


def test_serving_imports_no_training_libraries() -> None:
    code = (
        "import sys, aigc.core.http.app, aigc.core.cli.serve; "
        "print(sorted({'torch', 'onnx', 'sklearn'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_login_never_redirects_to_another_site(server: LiveServer) -> None:
    for target in ("//evil.example", "/\\evil.example", "https://evil.example"):
        response = httpx.post(
            f"{server.url}/login",
            content=urlencode({"key": server.keys["read"], "next": target}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 303 and response.headers["location"] == "/gallery"
        assert "httponly" in response.headers["set-cookie"].lower()
        assert "samesite=strict" in response.headers["set-cookie"].lower()
    wrong = httpx.post(
        f"{server.url}/login",
        content="key=nope",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


def test_listing_filters_by_an_evaluator_metric(client: httpx.Client) -> None:
    evaluated = client.post("/v1/generations", json=GAN).json()["generations"]
    client.post("/v1/generations", json={"generator": "image-gan", "seed": 9})  # not evaluated
    for metric in ("class_match", "image-class-match/class_match"):
        found = client.get("/v1/generations", params={"metric": metric, "limit": 100}).json()
        assert found["total"] >= 2 and all(
            any(e["metric"] == "class_match" for e in g["evaluations"]) for g in found["items"]
        )
        assert {g["id"] for g in evaluated} <= {g["id"] for g in found["items"]}
    low, high = sorted(evaluated, key=lambda g: g["evaluations"][0]["score"])
    assert low["evaluations"][0]["score"] < high["evaluations"][0]["score"]
    threshold = high["evaluations"][0]["score"]
    above = client.get(
        "/v1/generations", params={"metric": "class_match", "min_metric_score": threshold, "limit": 100}
    ).json()
    ids = {g["id"] for g in above["items"]}
    assert high["id"] in ids and low["id"] not in ids
    assert (
        client.get("/v1/generations", params={"metric": "other-evaluator/class_match"}).json()["total"] == 0
    )
    orphan = client.get("/v1/generations", params={"min_metric_score": 0.5})
    assert orphan.status_code == 422 and orphan.json()["errors"][0]["field"] == "min_metric_score"


def test_an_address_sending_bad_keys_is_limited_before_any_lookup(
    tmp_path: Path, runtime: ModelRuntime
) -> None:
    settings = ServerSettings(auth_failures_per_s=0.1, auth_failure_burst=5)
    with live_server(tmp_path / "data", runtime, settings) as server:
        lookups = []
        verify = server.app.state.api_keys.verify
        server.app.state.api_keys.verify = lambda token: lookups.append(token) or verify(token)
        codes = [
            httpx.get(f"{server.url}/v1/generators", headers={"X-API-Key": f"aigc_guess{i}"}).status_code
            for i in range(20)
        ]
        assert codes == [401] * 5 + [429] * 15 and len(lookups) == 5
        limited = httpx.get(f"{server.url}/v1/generators", headers=server.auth("read"))
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_a_keys_work_budget_is_metered_in_work_units(tmp_path: Path, runtime: ModelRuntime) -> None:
    settings = ServerSettings(max_request_cost=100, cost_per_s=1, cost_burst=100)
    with live_server(tmp_path / "data", runtime, settings) as server:

        def diffusion(steps: int, scope: str = "generate") -> httpx.Response:
            body = {"generator": "image-diffusion", "options": {"steps": steps}, "seed": 1}
            return httpx.post(
                f"{server.url}/v1/generations", json=body, headers=server.auth(scope), timeout=60
            )

        assert [diffusion(40).status_code, diffusion(40).status_code] == [200, 200]
        spent = diffusion(40)  # 80 of 100 units spent, refilled at 1 per second
        assert spent.status_code == 429 and "work budget" in spent.json()["detail"]
        assert 1 <= int(spent.headers["retry-after"]) <= 40
        assert diffusion(101, "admin").status_code == 422  # over the per-request cap: refused, not metered
        assert diffusion(10, "admin").status_code == 200  # each key has its own budget


def test_an_abandoned_stream_is_stored_as_cancelled_with_its_text(
    client: httpx.Client, server: LiveServer
) -> None:
    request = {
        "generator": "text-transformer",
        "prompt": "In the beginning",
        "seed": 4,
        "options": {"max_new_tokens": 200},
    }
    gc.disable()  # the server closes the abandoned stream itself, not the garbage collector
    try:
        with client.stream("POST", "/v1/generations/stream", json=request) as response:
            first = next(response.iter_lines())
        assert first == "event: delta"
        stored = _newest_with_seed(server, 4)
    finally:
        gc.enable()
    assert stored is not None and stored.seed == 4
    assert stored.status == "failed" and (stored.error or "").startswith("cancelled")
    assert stored.artifacts[0].text and stored.artifacts[0].metadata["cancelled"] is True


def _newest_with_seed(server: LiveServer, seed: int) -> Any:
    """The newest text-transformer generation once it has ``seed`` (waiting up to 10 s)."""
    for _ in range(200):
        [stored] = server.engine.store.list_generations(
            GenerationFilter(generator="text-transformer"), limit=1
        ) or [None]
        if stored is not None and stored.seed == seed:
            break
        time.sleep(0.05)
    return stored


@pytest.mark.usefixtures("voice_home")
def test_speech_streams_a_sentence_per_audio_event(client: httpx.Client) -> None:
    text = "The fox jumps. Then it runs away!"
    request = {"generator": "speech-piper", "prompt": text, "seed": 1, "options": {"format": "pcm"}}
    with client.stream("POST", "/v1/generations/stream", json=request) as response:
        assert response.status_code == 200, response.read()
        events = [block for block in response.read().decode().split("\n\n") if block]
    audio = [json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: audio")]
    assert len(audio) == 2 and {a["sample_rate"] for a in audio} == {22_050}
    result = json.loads(events[-1].split("data: ", 1)[1])
    stored = client.get(f"/v1/artifacts/{result['generations'][0]['artifacts'][0]['id']}")
    assert stored.content == b"".join(base64.b64decode(a["pcm"]) for a in audio)
