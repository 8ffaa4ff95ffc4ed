"""Models a user registered by path (``aigc models add PATH --name N``): language model folders,
Stable Diffusion ONNX pipelines and Piper voices (a ``.onnx`` file with its ``.onnx.json`` config).

The registry is a JSON file (``Settings.resolved_models_file``: ``AIGC_MODELS``, default
``AIGC_HOME/models.json``). Registration records the sha256 and size of every file in the folder
(subfolders included; a symbolic link that leads out of the folder is refused) as a ``Manifest``.
Every load checks every recorded file against it (``ModelRuntime.session(..., manifest=...)``,
``RegisteredModel.check``): an ONNX graph may name any file of its folder as external data, so a
file changed after registration is refused with ``ModelIntegrityError`` whichever reader it has.
A model's ``sha256`` (the one provenance records) covers all of its files.

A version of a model (``aigc tune`` makes them) is registered beside it as ``name@version``, its own
folder and files; requests choose it with ``-o model=name@version``. Its lineage is in the database.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from aigc.core.errors import ModelIntegrityError
from aigc.core.manifest import Manifest, ModelFile, sha256_file, verify_manifest
from aigc.core.specs import NAME_PATTERN
from aigc.core.validation import invalid

ModelFormat = Literal["optimum", "onnxruntime-genai", "piper", "stable-diffusion"]
GENAI_CONFIG = "genai_config.json"
VERSION_PATTERN = r"^[a-z0-9][a-z0-9.-]{0,31}$"
# A registered model, or one of its versions: ``name`` or ``name@version``.
REFERENCE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}(@[a-z0-9][a-z0-9.-]{0,31})?$"
OPTIMUM_FILES = ("model.onnx", "config.json", "tokenizer.json")
PIPELINE_INDEX = "model_index.json"
# optimum's ORTStableDiffusionPipeline layout (vae_encoder/model.onnx is optional: image-to-image).
PIPELINE_FILES = (
    PIPELINE_INDEX,
    "text_encoder/model.onnx",
    "unet/model.onnx",
    "vae_decoder/model.onnx",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
    "scheduler/scheduler_config.json",
)


class RegisteredModel(BaseModel):
    """A registered folder: where it is, what produced it, and its files' sha256 at registration."""

    name: str = Field(pattern=REFERENCE_PATTERN)
    path: Path
    format: ModelFormat
    registered_at: datetime
    manifest: Manifest

    def verify(self) -> dict[str, str | None]:
        """``{file: None if unchanged since registration else problem}`` for every recorded file."""
        return verify_manifest(self.path, self.manifest)

    def check(self) -> None:
        """Raise ``ModelIntegrityError`` naming every recorded file changed since registration."""
        problems = [problem for problem in self.verify().values() if problem]
        if problems:
            raise ModelIntegrityError(
                f"model {self.name!r} changed since it was registered: {'; '.join(problems)}"
            )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sha256(self) -> str:
        """One sha256 over every file of the model (``Manifest.files_sha256``)."""
        return self.manifest.files_sha256()


def piper_voice_files(path: Path) -> list[Path]:
    """The ``.onnx`` file and ``.onnx.json`` config of a Piper voice given as either file or as a
    folder holding exactly one such pair; ``[]`` if ``path`` is none of these."""
    if path.is_file() and path.name.endswith(".onnx"):
        config = path.with_name(path.name + ".json")
        if not config.is_file():
            raise invalid(
                "path", str(path), f"a Piper voice needs its config beside it: {config.name} is missing"
            )
        return [path, config]
    if path.is_dir() and not (path / "config.json").is_file():
        pairs = [p for p in sorted(path.glob("*.onnx")) if p.with_name(p.name + ".json").is_file()]
        if len(pairs) == 1:
            return [pairs[0], pairs[0].with_name(pairs[0].name + ".json")]
    return []


def folder_format(folder: Path) -> ModelFormat:
    """Which exporter produced ``folder``; ``InvalidRequestError`` (field ``path``) if none."""
    if not folder.is_dir():
        raise invalid("path", str(folder), "is not a folder")
    if (folder / GENAI_CONFIG).is_file():
        return "onnxruntime-genai"
    if piper_voice_files(folder):
        return "piper"
    if (folder / PIPELINE_INDEX).is_file():
        _require(folder, PIPELINE_FILES, "a Stable Diffusion pipeline exported by `optimum-cli export onnx`")
        return "stable-diffusion"
    _require(
        folder,
        OPTIMUM_FILES,
        f"a folder written by `optimum-cli export onnx --task text-generation-with-past` "
        f"({', '.join(OPTIMUM_FILES)}), by onnxruntime-genai's model builder ({GENAI_CONFIG}), a Stable "
        f"Diffusion pipeline exported by `optimum-cli export onnx` ({PIPELINE_INDEX}, ...), or a Piper "
        "voice (VOICE.onnx and VOICE.onnx.json)",
    )
    return "optimum"


def _require(folder: Path, names: tuple[str, ...], expected: str) -> None:
    """``InvalidRequestError`` (field ``path``) naming those of ``names`` that ``folder`` lacks."""
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise invalid("path", str(folder), f"lacks {', '.join(missing)}: expected {expected}")


def load_registered(models_file: Path) -> dict[str, RegisteredModel]:
    """Every registered model (none when the file does not exist)."""
    if not models_file.is_file():
        return {}
    raw = json.loads(models_file.read_text())
    return {name: RegisteredModel.model_validate(entry) for name, entry in raw.items()}


def registered_model(models_file: Path, name: str, field: str = "options.model") -> RegisteredModel:
    """The registered model ``name``; ``InvalidRequestError`` on ``field`` if there is none."""
    models = load_registered(models_file)
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        raise invalid(
            field,
            name,
            f"no model of that name in {models_file} (registered: {known}); "
            "register one with `aigc models add PATH --name NAME`",
        )
    return models[name]


def split_reference(reference: str) -> tuple[str, str | None]:
    """``("name", "version")`` of ``name@version``, ``("name", None)`` of a plain name."""
    name, _, version = reference.partition("@")
    return name, version or None


def register_model(models_file: Path, path: Path, name: str) -> RegisteredModel:
    """Record the folder ``path`` (or the Piper voice file ``path``) as model ``name`` with the
    sha256 of each of its files (of a Piper voice: the ``.onnx`` and ``.onnx.json`` only).

    Re-registering a name for the same folder re-reads its files (after a deliberate update);
    a name already used for another folder is refused.
    """
    _check_name(name)
    return _register(models_file, path.resolve(), name)


def register_version(models_file: Path, folder: Path, name: str, version: str) -> RegisteredModel:
    """Record ``folder`` as version ``version`` of the registered model ``name`` (``name@version``),
    beside the model and its other versions."""
    registered_model(models_file, name)
    check_version_name(version)
    return _register(models_file, folder.resolve(), f"{name}@{version}")


def _register(models_file: Path, path: Path, name: str) -> RegisteredModel:
    voice_files = piper_voice_files(path)
    folder = path.parent if path.is_file() else path
    model_format: ModelFormat = "piper" if voice_files else folder_format(folder)
    models = _models_free_for(models_file, name, folder)
    chosen = voice_files or _files_inside(folder)
    files = {
        path.relative_to(folder).as_posix(): ModelFile(sha256=sha256_file(path), size=path.stat().st_size)
        for path in chosen
    }
    model = RegisteredModel(
        name=name,
        path=folder,
        format=model_format,
        registered_at=datetime.now(UTC),
        manifest=Manifest(name=name, version="registered", files=files),
    )
    models[name] = model
    _write(models_file, models)
    return model


def register_gguf(
    models_file: Path, source: Path, name: str, models_dir: Path, variant: str
) -> RegisteredModel:
    """Convert the GGUF file ``source`` into ``models_dir/name`` (see ``aigc.core.gguf``) and register
    the folder as model ``name``; ``InvalidRequestError`` names an unsupported file or variant,
    ``ExportError`` a missing ``chat`` extra."""
    from aigc.core.gguf import VARIANTS, convert_gguf

    if not source.is_file():
        raise invalid("path", str(source), "is not a file")
    if variant not in VARIANTS:
        raise invalid("variant", variant, f"must be one of {', '.join(VARIANTS)}")
    _check_name(name)
    folder = (models_dir / name).resolve()
    _models_free_for(models_file, name, folder)  # before the slow conversion
    convert_gguf(source, folder, "fp32" if variant == "fp32" else "quantized")
    return register_model(models_file, folder, name)


def check_version_name(version: str) -> None:
    """``InvalidRequestError`` (field ``version``) unless ``version`` matches ``VERSION_PATTERN``."""
    if not re.match(VERSION_PATTERN, version):
        raise invalid(
            "version", version, f"must match {VERSION_PATTERN} (lowercase letters, digits, '.', '-')"
        )


def _check_name(name: str) -> None:
    if not re.match(NAME_PATTERN, name):
        raise invalid("name", name, f"must match {NAME_PATTERN} (lowercase letters, digits, '-')")


def _models_free_for(models_file: Path, name: str, folder: Path) -> dict[str, RegisteredModel]:
    """The registered models, once ``name`` is known not to be taken by another folder."""
    models = load_registered(models_file)
    existing = models.get(name)
    if existing is not None and existing.path != folder:
        raise invalid("name", name, f"already registered for {existing.path}")
    return models


def _files_inside(folder: Path) -> list[Path]:
    """Every file under ``folder``; ``InvalidRequestError`` (field ``path``) for a symbolic link whose
    target is outside it, which would make the model depend on files nobody registered."""
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(folder):
            raise invalid(
                "path", str(path), f"is a symbolic link to {path.resolve()}, outside the model folder"
            )
        if path.is_file():
            files.append(path)
    return files


def _write(models_file: Path, models: dict[str, RegisteredModel]) -> None:
    """Replace the file atomically, so a crash leaves the old registry or the new one."""
    models_file.parent.mkdir(parents=True, exist_ok=True)
    data = {n: m.model_dump(mode="json") for n, m in sorted(models.items())}
    handle, temporary = tempfile.mkstemp(dir=models_file.parent, prefix=".models-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=2)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, models_file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = [
    "GENAI_CONFIG",
    "REFERENCE_PATTERN",
    "VERSION_PATTERN",
    "RegisteredModel",
    "check_version_name",
    "folder_format",
    "load_registered",
    "piper_voice_files",
    "register_gguf",
    "register_model",
    "register_version",
    "registered_model",
    "split_reference",
]
