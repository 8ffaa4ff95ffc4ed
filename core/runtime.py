"""The one place ONNX Runtime sessions are created.

Every model file is checked against its manifest's sha256 before it is loaded. Providers are
chosen once per process: CUDA when a session really runs on it (``session.get_providers()``,
not ``get_available_providers()``, which onnxruntime-gpu fills in even without a GPU), else CPU.
All sessions share one intra-op thread pool, so several models in one process do not multiply
threads and fight over the cores. (ORT's Python API cannot set that pool's spin policy: its
threads may spin for a few tens of milliseconds after a run, measured at about 40 ms of CPU.)
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aigc.core.errors import DeviceUnavailableError
from aigc.core.manifest import Manifest, load_manifest, verify_file

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime as ort

Device = Literal["auto", "cpu", "cuda"]
GraphTransform = Callable[[bytes], bytes]
ThreadPool = Literal["shared", "session"]
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
_ORT_WARNING, _ORT_FATAL = 2, 4

_process_lock = threading.Lock()
_thread_pool_mode: ThreadPool | None = None
_thread_pool_size: int | None = None
_cuda_works: bool | None = None


def _ort() -> Any:
    import onnxruntime

    return onnxruntime


def default_thread_count() -> int:
    """Intra-op threads for the shared pool: ``AIGC_THREADS`` or the cores this process may use."""
    configured = os.environ.get("AIGC_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _configure_threads(pool: ThreadPool, threads: int) -> int | None:
    """Fix the process's thread pool mode once and return the intra-op threads a session gets.

    ORT allows one mode per process: once the global pool exists, every session must use it,
    and its size is the one it was made with.
    """
    global _thread_pool_mode, _thread_pool_size
    with _process_lock:
        if _thread_pool_mode is None:
            if pool == "shared":
                _ort().capi._pybind_state.set_global_thread_pool_sizes(threads, 1)
            _thread_pool_mode, _thread_pool_size = pool, threads
        elif _thread_pool_mode != pool:
            raise ValueError(
                f"this process already runs ONNX Runtime with a {_thread_pool_mode!r} thread pool; "
                f"the mode ({pool!r} asked) is fixed by the first ModelRuntime of a process"
            )
        return _thread_pool_size if pool == "shared" and _thread_pool_size else threads


def _session_options(ort: Any, own_threads: int | None) -> ort.SessionOptions:
    """Options using the shared pool, or a pool of ``own_threads`` for this session alone."""
    options = ort.SessionOptions()
    if own_threads is None:
        options.use_per_session_threads = False
    else:
        options.intra_op_num_threads = own_threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def unverified_session(path: Path, providers: list[str] | None = None) -> ort.InferenceSession:
    """A session outside any runtime, with no manifest check: for export-time parity checks of a
    file no manifest lists yet, and the CUDA probe. It follows the process's thread pool mode."""
    ort = _ort()
    options = _session_options(ort, None if _thread_pool_mode == "shared" else 1)
    return ort.InferenceSession(str(path), options, providers=providers or [CPU])


def cuda_works(model_path: Path) -> bool:
    """Whether a session of ``model_path`` really runs on CUDA (probed once per process, quietly)."""
    global _cuda_works
    if _cuda_works is not None:
        return _cuda_works
    ort = _ort()
    if CUDA not in ort.get_available_providers():
        _cuda_works = False
        return False
    ort.set_default_logger_severity(_ORT_FATAL)
    try:
        probe = unverified_session(model_path, [CUDA, CPU])
        _cuda_works = probe.get_providers()[0] == CUDA
    except Exception:
        _cuda_works = False
    finally:
        ort.set_default_logger_severity(_ORT_WARNING)
    return _cuda_works


def provider_works(provider: str) -> bool:
    """Whether a session on a tiny in-memory model really runs on ``provider`` (quietly)."""
    from aigc.core.probe_model import identity_model

    ort = _ort()
    ort.set_default_logger_severity(_ORT_FATAL)
    try:
        # ORT prints its fallback notice to stdout and warns; the answer is get_providers() alone.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            options = _session_options(ort, None if _thread_pool_mode == "shared" else 1)
            providers = [provider] if provider == CPU else [provider, CPU]
            session = ort.InferenceSession(identity_model(), options, providers=providers)
        return bool(session.get_providers()[0] == provider)
    except Exception:
        return False
    finally:
        ort.set_default_logger_severity(_ORT_WARNING)


@dataclass(frozen=True)
class LoadedModel:
    """A model file the runtime has loaded, as recorded in the ``models`` table."""

    name: str
    version: str
    file: str
    path: Path
    sha256: str
    opset: int | None
    providers: tuple[str, ...]


class ModelSession:
    """A verified ONNX Runtime session with numpy in, numpy out."""

    def __init__(self, session: ort.InferenceSession, model: LoadedModel) -> None:
        self.session = session
        self.model = model
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]

    @property
    def sha256(self) -> str:
        return self.model.sha256

    @property
    def providers(self) -> tuple[str, ...]:
        return self.model.providers

    def run(self, feeds: dict[str, np.ndarray], outputs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run the graph; returns ``{output name: array}``."""
        names = outputs or self.output_names
        return dict(zip(names, self.session.run(names, feeds), strict=True))


class ModelRuntime:
    """Creates, verifies and caches ONNX Runtime sessions for plugins.

    ``device``: ``auto`` (CUDA when it works, else CPU), ``cpu`` or ``cuda``. ``strict`` makes an
    unavailable device an error instead of a fallback. ``thread_pool``: ``shared`` (one pool of
    ``threads`` for every session in the process, the default) or ``session`` (each session has
    its own pool of ``threads``, whose threads spin between ops: faster for a process serving one
    model, wasteful with several). They default to the environment: ``AIGC_DEVICE``,
    ``AIGC_STRICT_DEVICE=cuda``, ``AIGC_THREAD_POOL`` and ``AIGC_THREADS``. The pool mode and the
    shared pool's size are process-wide: the first runtime of a process fixes them.
    """

    def __init__(
        self,
        device: Device | None = None,
        strict: bool | None = None,
        threads: int | None = None,
        thread_pool: ThreadPool | None = None,
    ):
        strict_env = os.environ.get("AIGC_STRICT_DEVICE", "").strip().lower()
        if strict_env and strict_env not in ("cuda", "cpu"):
            raise DeviceUnavailableError(f"AIGC_STRICT_DEVICE must be 'cuda' or 'cpu', got {strict_env!r}")
        env_device = os.environ.get("AIGC_DEVICE", "auto").strip().lower() or "auto"
        chosen = device or strict_env or env_device
        if chosen not in ("auto", "cpu", "cuda"):
            raise DeviceUnavailableError(f"AIGC_DEVICE must be auto, cpu or cuda, got {chosen!r}")
        self.device: Device = chosen  # type: ignore[assignment]
        self.strict = bool(strict_env) if strict is None else strict
        pool = thread_pool or os.environ.get("AIGC_THREAD_POOL", "shared").strip().lower() or "shared"
        if pool not in ("shared", "session"):
            raise ValueError(f"AIGC_THREAD_POOL must be 'shared' or 'session', got {pool!r}")
        self.thread_pool: ThreadPool = pool  # type: ignore[assignment]
        self.threads = _configure_threads(self.thread_pool, threads or default_thread_count())
        self._own_threads = self.threads if self.thread_pool == "session" else None
        self._sessions: dict[tuple[Path, str, GraphTransform | None], ModelSession] = {}
        self._lock = threading.Lock()

    def _providers_for(self, path: Path) -> list[str]:
        if self.device == "cpu":
            return [CPU]
        if cuda_works(path):
            return [CUDA, CPU]
        if self.device == "cuda" and self.strict:
            raise DeviceUnavailableError(
                "AIGC_STRICT_DEVICE=cuda, but ONNX Runtime cannot run on CUDA here "
                f"(available: {_ort().get_available_providers()}); install aigc[cuda] on a machine "
                "with an NVIDIA GPU, or unset AIGC_STRICT_DEVICE to fall back to CPU"
            )
        return [CPU]

    def session(
        self,
        model_dir: Path,
        file: str,
        manifest: Manifest | None = None,
        transform: GraphTransform | None = None,
    ) -> ModelSession:
        """A session for ``model_dir/file`` after checking it against ``model_dir/manifest.json``
        (or ``manifest``, for folders whose checksums are kept elsewhere, e.g. registered models:
        then every file it lists is checked, on every call).

        ``transform`` rewrites the checked file's bytes before they are loaded (for example to feed
        a graph's random numbers from an input); the file on disk and its sha256 stay as shipped.
        Sessions are cached per file and transform."""
        model_dir = Path(model_dir)
        registered = manifest is not None
        manifest = manifest or load_manifest(model_dir)
        sha256 = verify_file(model_dir, file, manifest)
        for extra in manifest.files:
            # A graph may name any file of its folder as external weights: a registered folder's
            # manifest lists every file in it, so all are checked; a plugin's, the usual names
            # (model.onnx.data; optimum's model.onnx_data).
            if extra != file and (registered or extra.startswith(file + ".") or extra == file + "_data"):
                verify_file(model_dir, extra, manifest)
        path = model_dir / file
        key = (path.resolve(), sha256, transform)
        with self._lock:
            cached = self._sessions.get(key)
            if cached is not None:
                return cached
            ort = _ort()
            source: str | bytes = str(path) if transform is None else transform(path.read_bytes())
            session = ort.InferenceSession(
                source, _session_options(ort, self._own_threads), providers=self._providers_for(path)
            )
            providers = tuple(session.get_providers())
            if self.strict and self.device == "cuda" and providers[0] != CUDA:
                raise DeviceUnavailableError(f"{path} did not load on CUDA (got {providers})")
            model = LoadedModel(
                name=manifest.name,
                version=manifest.version,
                file=file,
                path=path,
                sha256=sha256,
                opset=manifest.files[file].opset,
                providers=providers,
            )
            loaded = ModelSession(session, model)
            self._sessions[key] = loaded
            return loaded

    @property
    def loaded_models(self) -> list[LoadedModel]:
        """Every model file this runtime has a session for."""
        with self._lock:
            return [s.model for s in self._sessions.values()]
