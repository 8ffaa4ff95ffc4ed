"""The gallery's cookie opens the gallery only, and its forms need the CSRF token of the page."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest

from tests.http.live_server import LiveServer


@pytest.fixture
def browser(gallery_client: httpx.Client) -> httpx.Client:
    """A client logged in to the gallery: it holds the cookie and nothing else."""
    return gallery_client


@pytest.fixture
def generation(server: LiveServer) -> dict:
    response = httpx.post(
        f"{server.url}/v1/generations",
        json={"generator": "image-gan", "seed": 11},
        headers=server.auth("generate"),
        timeout=60,
    )
    generation: dict = response.json()["generations"][0]
    return generation


def _feedback(browser: httpx.Client, generation: dict, **extra: str) -> httpx.Response:
    form = {"artifact_id": str(generation["artifacts"][0]["id"]), "rating": "1"} | extra
    return browser.post(
        f"/gallery/{generation['id']}/feedback",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_feedback_without_the_pages_csrf_token_is_refused(
    browser: httpx.Client, server: LiveServer, generation: dict
) -> None:
    artifact_id = generation["artifacts"][0]["id"]
    for extra in ({}, {"csrf": "0" * 64}):
        assert _feedback(browser, generation, **extra).status_code == 403
    assert server.engine.store.list_feedback(artifact_id) == []
    page = browser.get(f"/gallery/{generation['id']}").text
    [token] = set(re.findall(r'name="csrf" value="([0-9a-f]{64})"', page))
    assert _feedback(browser, generation, csrf=token).status_code == 303
    assert [f.rating for f in server.engine.store.list_feedback(artifact_id)] == [1]


def test_the_cookie_opens_the_gallery_but_not_the_api(browser: httpx.Client, generation: dict) -> None:
    artifact_id = generation["artifacts"][0]["id"]
    assert browser.get(f"/gallery/artifacts/{artifact_id}").headers["content-type"] == "image/png"
    assert browser.get(f"/v1/artifacts/{artifact_id}").status_code == 401
    response = browser.post(
        "/v1/feedback",
        json={"artifact_id": artifact_id, "rating": 1},
        headers={"Origin": "http://127.0.0.1:1"},
    )
    assert response.status_code == 401
    assert httpx.get(f"{browser.base_url}/gallery/artifacts/{artifact_id}").status_code == 401
    waveform = f"/gallery/artifacts/{artifact_id}/waveform.svg"
    assert httpx.get(f"{browser.base_url}{waveform}").status_code == 401
    assert browser.get(waveform).status_code == 404  # a picture has no waveform


def test_pages_allow_only_this_servers_scripts_and_escape_stored_text(
    browser: httpx.Client, server: LiveServer, generation: dict
) -> None:
    hostile = "<img src=x onerror=alert(1)> [b]bold[/b]"
    response = httpx.post(
        f"{server.url}/v1/generations",
        json={
            "generator": "text-transformer",
            "prompt": hostile,
            "seed": 3,
            "options": {"max_new_tokens": 4},
        },
        headers=server.auth("generate"),
        timeout=60,
    )
    text = response.json()["generations"][0]
    pages = [
        "/login",
        "/gallery",
        f"/gallery/{text['id']}",
        f"/gallery/requests/{text['request_id']}",
        "/gallery/queue",
        "/gallery/matrix?generator=text-transformer",
    ]
    for path in pages:
        page = browser.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy
        assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/gallery/static/gallery.js" defer>']
        assert "<img src=x" not in page.text
        if path != "/login":
            assert "&lt;img src=x onerror=alert(1)&gt; [b]bold[/b]" in page.text, path
