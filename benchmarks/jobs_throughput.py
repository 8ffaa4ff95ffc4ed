"""Items per second of a 1,000-item image-gan job: in-process versus Ray, and where an item's time goes.

    python benchmarks/jobs_throughput.py [--items 1000] [--database-url URL] [--ray-actors 1]
        [--batch-size 16] [--contenders NAME ...]

Every contender runs in its own subprocess on a fresh database (SQLite in a temporary folder
unless ``--database-url`` names a PostgreSQL server, where a fresh database is created per
contender) with ``AIGC_THREADS=1``:

- ``engine loop``: the peer without jobs: ``Engine.generate`` once per item (n=1, same seeds),
  no spec, no leases.
- ``job in-process``: ``aigc jobs run`` semantics: plan, queue, claim under leases, produce, settle.
- ``job on Ray``: the same run on a local Ray Data actor pool (needs the ``ray`` extra).
- ``bare generator``: the generator's own ``generate`` (PNGs included) in batches of the job's
  claim size, the same labels and seeds: no engine, nothing stored. The other rates are also
  given as a share of this one, measured in the same run.

For each: items/s over the whole run (planning included, Ray start-up included) and, from the
engine's own timings, the milliseconds per item spent generating (ONNX + PNG) and in the store
(blob writes + transactions, ``save`` and ``save_many``); "other" is the rest (validation,
leases, claims, bookkeeping).
Prints a Markdown table with ratios to the engine loop.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.progress import Progress

CONTENDERS = ("engine loop", "job in-process", "job on Ray", "bare generator")
LABELS = 10
BATCH_SIZE = 16


def spec_text(items: int, batch_size: int = BATCH_SIZE) -> str:
    samples = items // LABELS
    labels = ", ".join(f"{{label: {label}}}" for label in range(LABELS))
    return (
        f"name: bench\ngenerator: image-gan\ninputs: {{items: [{labels}]}}\nn: {samples}\n"
        f"concurrency: {{batch_size: {batch_size}, lease_s: 60}}\n"
    )


def measure(
    contender: str, items: int, database_url: str, data_dir: Path, ray_actors: int, batch_size: int
) -> dict[str, float]:
    """Run one contender in this process; returns its rates and per-item milliseconds."""
    from aigc.core.config import Settings
    from aigc.core.engine import Engine
    from aigc.core.jobs.runner import start_run, work
    from aigc.core.jobs.specfile import parse_spec
    from aigc.storage.store import Store

    store_seconds = 0.0

    def timed(method: Any) -> Any:
        def call(self: Store, requests: Any) -> Any:
            nonlocal store_seconds
            started = time.perf_counter()
            try:
                return method(self, requests)
            finally:
                store_seconds += time.perf_counter() - started

        return call

    Store.save = timed(Store.save)  # type: ignore[method-assign]
    Store.save_many = timed(Store.save_many)  # type: ignore[method-assign]
    settings = Settings(data_dir=data_dir, database_url=database_url)
    with Engine(settings) as engine:
        loaded = parse_spec(spec_text(items, batch_size), "bench.yaml", data_dir)
        engine.generator("image-gan")  # load the model before the clock starts, for every contender
        started = time.perf_counter()
        if contender == "bare generator":
            return bare_generator(engine, items, batch_size)
        if contender == "engine loop":
            for label in range(LABELS):
                for sample in range(items // LABELS):
                    seed = label * (items // LABELS) + sample
                    engine.generate({"generator": "image-gan", "options": {"label": label}, "seed": seed})
        else:
            run = start_run(engine, loaded)
            assert run is not None
            executor = None
            if contender == "job on Ray":
                from aigc.core.jobs.ray_executor import RayExecutor, RayOptions

                executor = RayExecutor(RayOptions(actors=ray_actors))
            final = work(engine, loaded.spec, run.run_id, executor=executor)
            assert final.done == items, final
        seconds = time.perf_counter() - started
        generate_ms = _stored_generate_ms(engine)
    # Ray's actors save in their own processes: their store time is not seen here.
    store_ms = store_seconds * 1000 / items if contender != "job on Ray" else float("nan")
    return {"items_per_s": items / seconds, "generate_ms": generate_ms / items, "store_ms": store_ms}


def bare_generator(engine: Any, items: int, batch_size: int) -> dict[str, float]:
    """The generator alone on the job's samples, ``batch_size`` seeds a call."""
    from aigc.core.specs import GeneratorInput
    from aigc.plugins.image_gan.options import GanOptions

    generator = engine.generator("image-gan")
    started = time.perf_counter()
    per_label = items // LABELS
    for label in range(LABELS):
        options = GanOptions(label=label)
        seeds = [label * per_label + sample for sample in range(per_label)]
        for start in range(0, per_label, batch_size):
            batch = seeds[start : start + batch_size]
            generator.generate([GeneratorInput()] * len(batch), options, batch)
    seconds = time.perf_counter() - started
    return {"items_per_s": items / seconds, "generate_ms": seconds * 1000 / items, "store_ms": 0.0}


def _stored_generate_ms(engine: Any) -> float:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from aigc.storage.models import RequestRow

    with Session(engine.store.engine) as session:
        timings = session.scalars(sa.select(RequestRow.timings)).all()
    return float(sum(t.get("generate_ms", 0.0) for t in timings))


def fresh_database(server_url: str | None, folder: Path) -> str:
    if server_url is None:
        return f"sqlite:///{folder / 'aigc.db'}"
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"aigc_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def run_in_subprocess(contender: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="aigc-bench-") as folder:
        database_url = fresh_database(args.database_url, Path(folder))
        command = [
            sys.executable,
            __file__,
            "--contender",
            contender,
            "--items",
            str(args.items),
            "--ray-actors",
            str(args.ray_actors),
            "--batch-size",
            str(args.batch_size),
            "--database-url",
            database_url,
            "--data-dir",
            folder,
        ]
        env = os.environ | {"AIGC_THREADS": "1", "AIGC_LOAD_PLUGINS": "image-gan"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def _ratio(value: float, spec: str, suffix: str = "") -> str:
    """``value`` formatted, or "n/a" when its reference contender was not run (NaN)."""
    return "n/a" if value != value else f"{value:{spec}}{suffix}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="a multiple of 10")
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite per contender)")
    parser.add_argument("--ray-actors", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="items claimed at a time")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        print(
            json.dumps(
                measure(
                    args.contender,
                    args.items,
                    args.database_url,
                    args.data_dir,
                    args.ray_actors,
                    args.batch_size,
                )
            )
        )
        return
    results = {}
    with Progress() as progress:
        task = progress.add_task("contenders", total=len(args.contenders))
        for contender in args.contenders:
            progress.update(task, description=contender)
            results[contender] = run_in_subprocess(contender, args)
            progress.advance(task)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, AIGC_THREADS=1"
    print(f"\n{args.items} image-gan items, {backend}, {machine}, {args.batch_size} items a claim\n")
    print(
        "| contender | items/s | vs engine loop | vs bare generator | generate ms/item | store ms/item "
        "| other ms/item |"
    )
    print("|---|---|---|---|---|---|---|")
    baseline = results.get("engine loop", {}).get("items_per_s", float("nan"))
    bare = results.get("bare generator", {}).get("items_per_s", float("nan"))
    for contender, r in results.items():
        total_ms = 1000 / r["items_per_s"]
        other = total_ms - r["generate_ms"] - r["store_ms"]
        store = "n/a (in actors)" if r["store_ms"] != r["store_ms"] else f"{r['store_ms']:.2f}"
        other_text = "n/a" if other != other else f"{other:.2f}"
        print(
            f"| {contender} | {r['items_per_s']:.1f} | {_ratio(r['items_per_s'] / baseline, '.2f', 'x')} | "
            f"{_ratio(r['items_per_s'] / bare, '.0%')} | "
            f"{r['generate_ms']:.2f} | {store} | {other_text} |"
        )


if __name__ == "__main__":
    main()
