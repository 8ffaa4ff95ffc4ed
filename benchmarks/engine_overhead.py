"""The engine's own cost per sample: ``Engine.generate`` wall time minus the model, and where it goes.

    python benchmarks/engine_overhead.py [--engine-only | --png-only | --blobs-only]

Three tables, each case in this process on a fresh data folder (SQLite, local blobs) under
``--folder`` (default: a temporary folder on the same disk as the current folder, since fsync
costs depend on the disk), ``AIGC_THREADS=1``:

1. **Engine overhead per sample** for image-gan, image-diffusion (25 steps) and
   text-transformer (64 tokens), one sample per request (and image-gan with ``n=16``). After a
   warm-up, each stage's time is summed by wrapping the function that does it: validation
   (``prepare``), the generator call (with, for images, PNG encoding inside it), provenance
   stamping, evaluation, blob writes (``BlobStore`` methods) and the SQL rows (``Store`` saving
   minus its blob writes). "model" is the generator call minus its encoding; "overhead" is the
   rest of the wall time.
2. **PNG compression level**: microseconds and bytes per 64x64 digit (image-gan, scale 8) at each
   zlib level, the levels taking turns; every level decodes to the same pixels (checked).
3. **Blob durability** for a batch of 64x64 PNG-sized blobs: fsync per file (and per folder),
   write all then fsync each, write all then one ``syncfs`` (Linux, via ctypes) or ``os.sync``,
   and one pack file per batch.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CASES = {
    "image-gan": ({"generator": "image-gan", "options": {"label": 3}}, 1, 400),
    "image-gan n=16": ({"generator": "image-gan", "options": {"label": 3}}, 16, 40),
    "image-diffusion 25 steps": ({"generator": "image-diffusion", "options": {"steps": 25}}, 1, 20),
    "text-transformer 64 tokens": (
        {
            "generator": "text-transformer",
            "prompt": "Once",
            "options": {"max_new_tokens": 64, "min_new_tokens": 64},
        },
        1,
        20,
    ),
}
STAGES = ("validate", "generator", "encode", "stamp", "evaluate", "blob", "store")
BLOB_METHODS = ("put", "put_many")
BLOB_SIZE = 1_500  # a small artifact: a 64x64 digit PNG is about 280 bytes, colour images more
BLOB_BATCHES = (1, 16, 64)
BLOB_ROUNDS = 20
PNG_LEVELS = (0, 1, 2, 3, 6, 9)
PNG_IMAGES = 64
PNG_ROUNDS = 30


class Stopwatch:
    """Seconds summed per stage; nested stages are counted in their own stage and their parent's."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        return timed


@contextlib.contextmanager
def patched(target: object, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    original = getattr(target, name)
    setattr(target, name, replacement)
    try:
        yield
    finally:
        setattr(target, name, original)


def engine_case(folder: Path, request: dict[str, Any], n: int, requests: int) -> dict[str, float]:
    """Milliseconds per sample of each stage for ``requests`` requests of ``n`` samples."""
    import aigc.core.engine as engine_module
    import aigc.core.images as images_module
    from aigc.core.config import Settings
    from aigc.core.engine import Engine
    from aigc.storage.blobs import BlobStore
    from aigc.storage.store import Store

    watch = Stopwatch()
    with contextlib.ExitStack() as stack:
        stack.enter_context(patched(engine_module, "prepare", watch.wrap("validate", engine_module.prepare)))
        stack.enter_context(patched(engine_module, "stamp", watch.wrap("stamp", engine_module.stamp)))
        evaluate = watch.wrap("evaluate", engine_module.evaluate_samples)
        stack.enter_context(patched(engine_module, "evaluate_samples", evaluate))
        stack.enter_context(
            patched(images_module, "encode_png", watch.wrap("encode", images_module.encode_png))
        )
        for method in BLOB_METHODS:
            if hasattr(BlobStore, method):
                stack.enter_context(
                    patched(BlobStore, method, watch.wrap("blob", getattr(BlobStore, method)))
                )
        stack.enter_context(patched(Store, "save", watch.wrap("store", Store.save)))
        engine = stack.enter_context(Engine(Settings(data_dir=folder)))
        generator = engine.generator(request["generator"])
        generator.generate = watch.wrap("generator", generator.generate)  # type: ignore[method-assign]
        for seed in range(5):  # warm-up: sessions, caches, first rows
            engine.generate(request | {"n": n, "seed": seed})
        watch.seconds = dict.fromkeys(STAGES, 0.0)
        started = time.perf_counter()
        for seed in range(requests):
            engine.generate(request | {"n": n, "seed": 1000 + seed * n})
        wall = time.perf_counter() - started
    samples = requests * n
    ms = {stage: seconds * 1000 / samples for stage, seconds in watch.seconds.items()}
    ms["total"] = wall * 1000 / samples
    ms["model"] = ms["generator"] - ms["encode"]
    ms["sql"] = ms["store"] - ms["blob"]
    ms["overhead"] = ms["total"] - ms["model"]
    ms["other"] = ms["overhead"] - sum(
        ms[s] for s in ("validate", "encode", "stamp", "evaluate", "blob", "sql")
    )
    return ms


def engine_table(root: Path) -> None:
    print(
        "| case | total ms | model ms | overhead ms (x model) | validate | PNG/encode | stamp | evaluate "
        "| blob write | SQL | other |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, (request, n, requests) in CASES.items():
        folder = Path(tempfile.mkdtemp(prefix="engine-", dir=root))
        ms = engine_case(folder, request, n, requests)
        ratio = ms["overhead"] / ms["model"] if ms["model"] > 0 else float("nan")
        cells = [ms[k] for k in ("validate", "encode", "stamp", "evaluate", "blob", "sql", "other")]
        print(
            f"| {name} | {ms['total']:.2f} | {ms['model']:.2f} | {ms['overhead']:.2f} ({ratio:.1f}x) | "
            + " | ".join(f"{c:.3f}" for c in cells)
            + " |",
            flush=True,
        )


def png_table() -> None:
    """Median microseconds and mean bytes per PNG at each zlib level, pixels checked identical."""
    import io

    import numpy as np
    from PIL import Image

    from aigc.core.images import to_uint8
    from aigc.core.sdk import ModelRuntime, PluginContext
    from aigc.plugins.image_gan import aigc_register_generators
    from aigc.plugins.image_gan.options import GanOptions

    specs: list[Any] = []
    aigc_register_generators(register=specs.append)
    generator = specs[0].factory(PluginContext(ModelRuntime(device="cpu")))
    images = generator.render(*generator.latents(GanOptions(), list(range(PNG_IMAGES))))
    pixels = [np.repeat(np.repeat(to_uint8(image), 8, axis=0), 8, axis=1) for image in images]
    micros: dict[int, list[float]] = {level: [] for level in PNG_LEVELS}
    sizes: dict[int, int] = {}
    for _ in range(PNG_ROUNDS):
        for level in PNG_LEVELS:
            encoded = []
            started = time.perf_counter()
            for image in pixels:
                buffer = io.BytesIO()
                Image.fromarray(image).save(buffer, format="PNG", compress_level=level)
                encoded.append(buffer.getvalue())
            micros[level].append((time.perf_counter() - started) * 1e6 / len(pixels))
            sizes[level] = sum(map(len, encoded)) // len(encoded)
            for data, image in zip(encoded, pixels, strict=True):
                assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), image)
    print(f"| zlib level ({PNG_IMAGES} 64x64 digits, median of {PNG_ROUNDS}) | µs per PNG | bytes per PNG |")
    print("|---|---:|---:|")
    for level in PNG_LEVELS:
        print(f"| {level} | {statistics.median(micros[level]):.0f} | {sizes[level]:,} |", flush=True)


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _blob_names(folder: Path, count: int) -> list[Path]:
    names = []
    for _ in range(count):
        digest = secrets.token_hex(32)
        names.append(folder / digest[:2] / digest[2:])
    for path in names:
        path.parent.mkdir(exist_ok=True)
    return names


def fsync_each(paths: list[Path], data: bytes) -> None:
    for path in paths:
        temp = path.with_name(".tmp-" + path.name)
        with temp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        _fsync_path(path.parent)


def write_all_then_fsync_each(paths: list[Path], data: bytes) -> None:
    temps = []
    for path in paths:
        temp = path.with_name(".tmp-" + path.name)
        temp.write_bytes(data)
        temps.append(temp)
    for temp, path in zip(temps, paths, strict=True):
        _fsync_path(temp)
        os.replace(temp, path)
    for folder in {p.parent for p in paths}:
        _fsync_path(folder)


def _syncfs(folder: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if libc.syncfs(descriptor) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
    finally:
        os.close(descriptor)


def write_all_then_syncfs(paths: list[Path], data: bytes) -> None:
    for path in paths:
        temp = path.with_name(".tmp-" + path.name)
        temp.write_bytes(data)
        os.replace(temp, path)
    _syncfs(paths[0].parent)


def write_all_then_sync(paths: list[Path], data: bytes) -> None:
    for path in paths:
        temp = path.with_name(".tmp-" + path.name)
        temp.write_bytes(data)
        os.replace(temp, path)
    os.sync()


def pack_file(paths: list[Path], data: bytes) -> None:
    pack = paths[0].parent / f"pack-{secrets.token_hex(8)}"
    with pack.open("xb") as handle:
        for _ in paths:
            handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_path(pack.parent)


STRATEGIES: dict[str, Callable[[list[Path], bytes], None]] = {
    "fsync per file + folder": fsync_each,
    "write all, then fsync each": write_all_then_fsync_each,
    "write all, then syncfs": write_all_then_syncfs,
    "write all, then os.sync": write_all_then_sync,
    "one pack file per batch": pack_file,
}


def blob_table(root: Path) -> None:
    """Median ms per blob of each strategy; the strategies take turns in every round."""
    data = os.urandom(BLOB_SIZE)
    folders = {
        (n, b): Path(tempfile.mkdtemp(prefix="blobs-", dir=root)) for n in STRATEGIES for b in BLOB_BATCHES
    }
    times: dict[tuple[str, int], list[float]] = {key: [] for key in folders}
    for _ in range(BLOB_ROUNDS):
        for batch in BLOB_BATCHES:
            for name, strategy in STRATEGIES.items():
                paths = _blob_names(folders[name, batch], batch)
                started = time.perf_counter()
                strategy(paths, data)
                times[name, batch].append((time.perf_counter() - started) * 1000 / batch)
    header = " | ".join(f"batch {b}: ms/blob" for b in BLOB_BATCHES)
    print(f"| strategy ({BLOB_SIZE} B blobs, median of {BLOB_ROUNDS}) | {header} |")
    print("|---|" + "---:|" * len(BLOB_BATCHES))
    for name in STRATEGIES:
        cells = [f"{statistics.median(times[name, b]):.3f}" for b in BLOB_BATCHES]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path.cwd(), help="where the temporary data goes")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--blobs-only", action="store_true")
    which.add_argument("--engine-only", action="store_true")
    which.add_argument("--png-only", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("AIGC_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix="aigc-overhead-", dir=args.folder) as folder:
        if not (args.blobs_only or args.png_only):
            engine_table(Path(folder))
            print()
        if not (args.blobs_only or args.engine_only):
            png_table()
            print()
        if not (args.engine_only or args.png_only):
            blob_table(Path(folder))


if __name__ == "__main__":
    main()
