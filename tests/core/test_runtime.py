"""The runtime layer refuses models that do not match their manifest and never fakes a device."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigc.core.errors import DeviceUnavailableError, ModelIntegrityError
from aigc.core.manifest import MANIFEST_NAME, verify_manifest
from aigc.core.runtime import ModelRuntime, cuda_works
from aigc.plugins import image_gan

GAN_DIR = Path(image_gan.__file__).parent
GAN_FILE = "generator.onnx"


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    target.mkdir()
    for name in (MANIFEST_NAME, GAN_FILE):
        shutil.copy(GAN_DIR / name, target / name)
    return target


def test_shipped_manifests_match_their_files() -> None:
    assert verify_manifest(GAN_DIR) == {
        name: None for name in json.loads((GAN_DIR / MANIFEST_NAME).read_text())["files"]
    }


def test_session_is_verified_cached_and_runs(model_copy: Path, runtime: ModelRuntime) -> None:
    session = runtime.session(model_copy, GAN_FILE)
    assert runtime.session(model_copy, GAN_FILE) is session
    assert session.providers[-1] == "CPUExecutionProvider"
    assert session.model.name == "image-gan"


def test_tampered_model_is_refused(model_copy: Path, runtime: ModelRuntime) -> None:
    data = bytearray((model_copy / GAN_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_copy / GAN_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        runtime.session(model_copy, GAN_FILE)


def test_manifest_paths_may_not_escape_the_model_folder(model_copy: Path, runtime: ModelRuntime) -> None:
    manifest = json.loads((model_copy / MANIFEST_NAME).read_text())
    manifest["files"]["../outside.onnx"] = manifest["files"][GAN_FILE]
    (model_copy / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="escapes"):
        runtime.session(model_copy, GAN_FILE)


def test_files_missing_from_the_manifest_are_refused(model_copy: Path, runtime: ModelRuntime) -> None:
    shutil.copy(model_copy / GAN_FILE, model_copy / "other.onnx")
    with pytest.raises(ModelIntegrityError, match="not listed"):
        runtime.session(model_copy, "other.onnx")


@pytest.mark.skipif(cuda_works(GAN_DIR / GAN_FILE), reason="CUDA works here")
def test_strict_cuda_without_cuda_fails_instead_of_falling_back(model_copy: Path) -> None:
    with pytest.raises(DeviceUnavailableError, match="AIGC_STRICT_DEVICE=cuda"):
        ModelRuntime(device="cuda", strict=True).session(model_copy, GAN_FILE)


def test_strict_device_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGC_STRICT_DEVICE", "tpu")
    with pytest.raises(DeviceUnavailableError, match="must be 'cuda' or 'cpu'"):
        ModelRuntime()


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_works(GAN_DIR / GAN_FILE), reason="needs a working CUDA execution provider")
def test_cuda_session_matches_cpu(model_copy: Path) -> None:
    gpu = ModelRuntime(device="cuda", strict=True).session(model_copy, GAN_FILE)
    cpu = ModelRuntime(device="cpu").session(GAN_DIR, GAN_FILE)
    assert gpu.providers[0] == "CUDAExecutionProvider"
    feeds = {
        i.name: np.zeros([d if isinstance(d, int) else 4 for d in i.shape], dtype=np.float32)
        for i in cpu.session.get_inputs()
    }
    rng = np.random.default_rng(0)
    feeds = {
        k: (rng.standard_normal(v.shape).astype(v.dtype) if v.dtype == np.float32 else v)
        for k, v in feeds.items()
    }
    for name, value in gpu.run(feeds).items():
        np.testing.assert_allclose(value, cpu.run(feeds)[name], atol=1e-4)


def test_a_process_can_give_each_session_its_own_thread_pool(model_copy: Path) -> None:
    script = f"""
from pathlib import Path
from aigc.core.runtime import ModelRuntime
runtime = ModelRuntime(device="cpu", threads=1, thread_pool="session")
session = runtime.session(Path({str(model_copy)!r}), {GAN_FILE!r})
print(session.session.get_session_options().intra_op_num_threads, runtime.threads)
try:
    ModelRuntime(thread_pool="shared")
except ValueError as error:
    print(error)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "1 1"
    assert "already runs ONNX Runtime with a 'session' thread pool" in out


def test_the_thread_pool_mode_is_fixed_by_the_first_runtime(runtime: ModelRuntime) -> None:
    assert runtime.thread_pool == "shared"
    with pytest.raises(ValueError, match="fixed by the first ModelRuntime"):
        ModelRuntime(thread_pool="session")


def test_thread_pool_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGC_THREAD_POOL", "huge")
    with pytest.raises(ValueError, match="AIGC_THREAD_POOL must be 'shared' or 'session'"):
        ModelRuntime()
