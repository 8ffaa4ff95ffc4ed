"""Speech over HTTP: the native API stores and serves it, the gallery plays it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from tests.http.live_server import LiveServer


def test_speech_is_generated_served_and_played_in_the_gallery(server: LiveServer, voice_home: Path) -> None:
    request = {"generator": "speech-piper", "prompt": "Hello there.", "options": {"format": "mp3"}, "seed": 2}
    with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=120) as client:
        generation = client.post("/v1/generations", json=request).json()["generations"][0]
        [artifact] = generation["artifacts"]
        response = client.get(f"/v1/artifacts/{artifact['id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert hashlib.sha256(response.content).hexdigest() == artifact["sha256"]
    with httpx.Client(base_url=server.url, timeout=60) as browser:
        browser.post("/login", data={"key": server.keys["read"], "next": "/gallery"})
        page = browser.get(f"/gallery/{generation['id']}").text
        played = browser.get(f"/gallery/artifacts/{artifact['id']}")
    assert f'<audio controls preload="none" src="/gallery/artifacts/{artifact["id"]}"></audio>' in page
    assert played.status_code == 200 and played.headers["content-type"] == "audio/mpeg"
