"""32 concurrent clients on image-gan with batching on: correct, distinct, seed-reproducible results."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from PIL import Image

from aigc.core.specs import GeneratorInput
from aigc.plugins.image_gan.options import GanOptions
from tests.http.live_server import LiveServer

CLIENTS = 32


def _pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).tobytes()


def test_concurrent_clients_get_their_own_seed_reproducible_images(server: LiveServer) -> None:
    start = threading.Barrier(CLIENTS)

    def client(i: int) -> dict:
        with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=120) as http:
            start.wait()
            request = {"generator": "image-gan", "options": {"label": i % 10}, "seed": 1000 + i}
            response = http.post("/v1/generations", json=request)
            assert response.status_code == 200, response.text
            result = response.json()
            [artifact] = result["generations"][0]["artifacts"]
            return {"result": result, "bytes": http.get(f"/v1/artifacts/{artifact['id']}").content}

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(client, range(CLIENTS)))

    gan = server.engine.generator("image-gan")
    batch_sizes = []
    for i, outcome in enumerate(outcomes):
        [generation] = outcome["result"]["generations"]
        assert generation["seed"] == 1000 + i and generation["artifacts"][0]["metadata"]["label"] == i % 10
        # The pixels are exactly what this seed and label make alone (the file adds provenance chunks).
        [[alone]] = gan.generate([GeneratorInput()], GanOptions(label=i % 10), [1000 + i])
        assert _pixels(outcome["bytes"]) == _pixels(alone.payload)
        batch_sizes.append(outcome["result"]["timings"]["batch_size"])
    assert len({o["bytes"] for o in outcomes}) == CLIENTS, "two clients got the same image"
    assert max(batch_sizes) > 1, "no requests were merged"

    # Asking again for each seed returns byte-identical files, whatever they are batched with now.
    with httpx.Client(base_url=server.url, headers=server.auth("generate"), timeout=120) as http:
        for i in (0, 13, 31):
            again = http.post(
                "/v1/generations",
                json={"generator": "image-gan", "options": {"label": i % 10}, "seed": 1000 + i},
            ).json()
            assert (
                http.get(f"/v1/artifacts/{again['generations'][0]['artifacts'][0]['id']}").content
                == outcomes[i]["bytes"]
            )
            assert again["generations"][0]["key"] == outcomes[i]["result"]["generations"][0]["key"]
