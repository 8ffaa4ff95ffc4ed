"""A registered Stable Diffusion pipeline served by aigc's own ``/v1/generations`` (the OpenAI images
endpoint is tested with the others in test_openai_api.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aigc.core.registered_models import register_model
from tests.http.live_server import LiveServer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sd_tiny"
OPTIONS = {"model": "tiny", "steps": 2}


@pytest.fixture(scope="module", autouse=True)
def registered(server: LiveServer) -> None:
    """The tiny pipeline in the server's models file (read on the generator's first use)."""
    register_model(server.engine.context.models_file, FIXTURE, "tiny")


def test_the_native_api_generates_and_stores_pngs(server: LiveServer) -> None:
    asked = {"generator": "onnx-diffusion-pipeline", "prompt": "a cat", "options": OPTIONS, "n": 2, "seed": 9}
    response = httpx.post(
        f"{server.url}/v1/generations", json=asked, headers=server.auth("generate"), timeout=120
    )
    assert response.status_code == 200, response.text
    artifacts = [g["artifacts"][0] for g in response.json()["generations"]]
    assert [a["media_type"] for a in artifacts] == ["image/png"] * 2
    bad = httpx.post(
        f"{server.url}/v1/generations",
        json=asked | {"options": OPTIONS | {"width": 100}},
        headers=server.auth("generate"),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "options.width"
