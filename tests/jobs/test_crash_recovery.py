"""Runners killed with SIGKILL at random points, then resumed: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from aigc.storage.models import GenerationRow, JobItemRow, RequestRow
from aigc.storage.store import Store
from tests.storage.factories import read_session

INPUTS = 8
SAMPLES = 20
SPEC = f"""\
name: crash-test
generator: image-gan
inputs:
  items: [{", ".join(f"{{label: {i}}}" for i in range(INPUTS))}]
n: {SAMPLES}
evaluators: [image-class-match]
policy: {{thresholds: {{class_match: {{min: 0.9}}}}}}
concurrency: {{batch_size: 2, lease_s: 1}}
"""


def aigc(data_dir: Path, database_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "AIGC_HOME": str(data_dir),
        "AIGC_DATABASE_URL": database_url,
        "AIGC_LOAD_PLUGINS": "image-gan,image-class-match",
        "AIGC_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "aigc.core.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def claims_so_far(store: Store) -> int:
    with read_session(store) as session:
        return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(JobItemRow.attempts), 0))) or 0


def wait_for_claims_beyond(store: Store, claims: int, runner: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while claims_so_far(store) <= claims:
        if runner.poll() is not None:  # finished already: the earlier kills left it little to do
            assert runner.returncode == 0, runner.communicate()[1].decode()
            return
        assert time.monotonic() < deadline, "the runner claimed nothing"
        time.sleep(0.05)


def test_kill_9_at_random_points_then_resume(tmp_path: Path, database_url: str) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    data_dir = tmp_path / "aigc-data"
    rng = random.Random(20261122)
    with Store(database_url, str(data_dir / "blobs")) as store:
        for _ in range(4):
            claims = claims_so_far(store)
            runner = aigc(data_dir, database_url, "jobs", "run", str(spec), "--no-outputs")
            wait_for_claims_beyond(store, claims, runner)
            time.sleep(rng.uniform(0, 0.25))  # a random point while it generates, stores and settles
            runner.kill()  # SIGKILL: no cleanup, leases left held, maybe a sample half written
            runner.wait()
    finisher = aigc(data_dir, database_url, "jobs", "run", str(spec), "--no-outputs")
    _, stderr = finisher.communicate(timeout=300)
    assert finisher.returncode == 0, stderr.decode()

    with Store(database_url, str(data_dir / "blobs")) as store:
        with read_session(store) as session:
            items = session.scalars(sa.select(JobItemRow)).all()
            generations = session.scalars(sa.select(GenerationRow)).all()
            requests = session.scalar(sa.select(sa.func.count()).select_from(RequestRow))
        first_run = [item for item in items if item.run_id == min(i.run_id for i in items)]
        # runners were killed while holding items, which the next runner took over
        assert any(item.attempts > 1 for item in first_run)
        assert {item.status for item in items} == {"done"}
        assert Counter(item.input_index for item in first_run) == dict.fromkeys(range(INPUTS), SAMPLES)
        # exactly one stored sample per item, none without an item, each with its verdict and bytes
        assert sorted(g.idempotency_key or "" for g in generations) == sorted(
            i.idempotency_key for i in first_run
        )
        assert requests == len(generations) == INPUTS * SAMPLES
        assert {g.id for g in generations} == {item.generation_id for item in items}
        assert {g.status for g in generations} <= {"accepted", "rejected"}
        for generation in generations:
            [artifact] = store.get_generation(generation.id).artifacts
            assert store.read_artifact(artifact.id).startswith(b"\x89PNG")
        store.collect_orphan_blobs(0)  # whatever a kill left half done goes; nothing referenced does
        for generation in generations:
            [artifact] = store.get_generation(generation.id).artifacts
            assert store.read_artifact(artifact.id).startswith(b"\x89PNG")
