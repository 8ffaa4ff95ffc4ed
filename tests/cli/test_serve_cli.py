"""``aigc api-keys`` and ``aigc serve`` as a user runs them: keys made on the command line open the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.runner import Aigc, serve


@pytest.fixture
def aigc(tmp_path: Path) -> Aigc:
    return Aigc(tmp_path / "aigc-data")


@pytest.fixture
def served(aigc: Aigc) -> Iterator[str]:
    with serve(aigc, "--batch", "image-gan=2:8") as server:
        yield server.url


def test_keys_create_list_and_revoke(aigc: Aigc) -> None:
    token = aigc.run("api-keys", "create", "--scope", "read", "--name", "ci").stdout.strip()
    assert "\n" not in token
    assert token.startswith("aigc_")
    [key] = aigc.json("api-keys", "list")
    assert (key["name"], key["scope"], key["revoked_at"]) == ("ci", "read", None)
    assert token.startswith(key["prefix"]) and token not in aigc.run("api-keys", "list").stdout
    aigc.run("api-keys", "revoke", str(key["id"]))
    assert aigc.json("api-keys", "list")[0]["revoked_at"] is not None
    assert "not found" in aigc.run("api-keys", "revoke", "99", expect=1).stderr
    assert "'read', 'generate', 'admin'" in aigc.run("api-keys", "create", "--scope", "root", expect=2).stderr
    aigc.run("api-keys", "create", "--scope", "read", "--expires-in-days", "30")
    assert aigc.json("api-keys", "list")[1]["expires_at"] is not None
    assert aigc.json("keys", "list") == aigc.json("api-keys", "list")  # the old name, for one release


def test_serve_answers_with_keys_from_the_command_line(aigc: Aigc, served: str) -> None:
    token = aigc.run("api-keys", "create", "--scope", "generate").stdout.strip()
    response = httpx.post(
        f"{served}/v1/generations",
        json={"generator": "image-gan", "options": {"label": 5}, "seed": 3},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200 and response.json()["generations"][0]["seed"] == 3
    assert response.json()["timings"]["batch_size"] == 1
    generators = httpx.get(f"{served}/v1/generators", headers={"X-API-Key": token}).json()
    assert [g["name"] for g in generators if g["batched"]] == ["image-gan"]
    assert httpx.get(f"{served}/v1/generators").status_code == 401


def test_serve_refuses_to_batch_a_generator_with_state(aigc: Aigc) -> None:
    assert (
        "only installed stateless generators"
        in aigc.run("serve", "--batch", "text-transformer", expect=2).stderr
    )
