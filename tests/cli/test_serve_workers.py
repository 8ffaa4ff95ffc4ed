"""``aigc serve --workers 2``: two processes behind one port share rate limits (on SQLite and
PostgreSQL) and 202 tickets."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.runner import Aigc, Served, serve

WORKER = "x-aigc-worker"
ROUNDS = 100  # of 16 concurrent requests, until both workers have answered


class Workers:
    """A server with two workers and an admin key."""

    def __init__(self, served: Served, token: str) -> None:
        self.url = served.url
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> httpx.Response:
        """A GET on a new connection, which either worker may accept."""
        return httpx.get(f"{self.url}{path}", headers=self.headers, timeout=60)

    def post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.headers, timeout=60)


def until_both_answer(send: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Concurrent ``send``s, in rounds, until responses came from two processes."""
    responses: list[httpx.Response] = []
    with ThreadPoolExecutor(16) as pool:
        for _ in range(ROUNDS):
            responses += pool.map(lambda _: send(), range(16))
            if len({r.headers[WORKER] for r in responses}) == 2:
                break
    return responses


@contextmanager
def served_workers(data_dir: Path, *args: str, database_url: str | None = None) -> Iterator[Workers]:
    aigc = Aigc(data_dir)
    if database_url:
        aigc.env["AIGC_DATABASE_URL"] = database_url
    token = aigc.run("api-keys", "create", "--scope", "admin").stdout.strip()
    with serve(aigc, "--workers", "2", *args) as served:
        yield Workers(served, token)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    data_dir = tmp_path_factory.mktemp("workers") / "aigc-data"
    with served_workers(data_dir, "--rate", "1000", "--burst", "1000", "--ticket-lease", "2") as workers:
        yield workers


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    done = Aigc(tmp_path / "aigc-data").run("serve", "--workers", "0", expect=2)
    assert "--workers" in done.stderr


def test_both_processes_serve_requests(workers: Workers) -> None:
    responses = until_both_answer(lambda: workers.get("/healthz"))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.headers[WORKER] for r in responses}) == 2


def test_a_ticket_made_by_one_worker_is_polled_through_the_other(workers: Workers) -> None:
    body = {"generator": "image-diffusion", "options": {"steps": 100}, "n": 4, "seed": 3}
    created = workers.post("/v1/generations?wait=0", body)
    assert created.status_code == 202
    poll = created.json()["poll"]
    polls = until_both_answer(lambda: workers.get(poll))
    other = [r for r in polls if r.headers[WORKER] != created.headers[WORKER]]
    assert other and all(r.status_code == 200 and r.json()["id"] == created.json()["id"] for r in other)
    for _ in range(600):
        polled = workers.get(poll).json()
        if polled["status"] != "pending":
            break
    assert polled["status"] == "completed" and len(polled["result"]["generations"]) == 4


def test_a_worker_killed_mid_request_leaves_no_ticket_pending(workers: Workers) -> None:
    body = {"generator": "image-diffusion", "options": {"steps": 200}, "n": 64, "seed": 5}
    created = workers.post("/v1/generations?wait=0", body)
    assert created.status_code == 202
    os.kill(int(created.headers[WORKER]), signal.SIGKILL)
    for _ in range(600):
        polled = workers.get(created.json()["poll"]).json()
        if polled["status"] != "pending":
            break
    assert polled["status"] == "failed" and "stopped before it finished" in polled["error"]


def test_a_rate_limit_holds_across_both_workers(tmp_path: Path, database_url: str) -> None:
    flags = ("--rate", "0.001", "--burst", "5")
    with served_workers(tmp_path / "aigc-data", *flags, database_url=database_url) as workers:
        responses = until_both_answer(lambda: workers.get("/v1/generators"))
        assert len({r.headers[WORKER] for r in responses}) == 2
        assert [r.status_code for r in responses].count(200) == 5
        assert {r.status_code for r in responses} == {200, 429}
