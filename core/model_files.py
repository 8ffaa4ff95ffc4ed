"""Every model file aigc knows of (installed plugins' manifests, models installed into the data folder,
folders registered by path), checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aigc.core.manifest import MANIFEST_NAME, Manifest, load_manifest, verify_manifest
from aigc.core.model_install import installables
from aigc.core.plugins import PluginRegistry
from aigc.core.registered_models import load_registered
from aigc.core.specs import EvaluatorSpec, GeneratorSpec


@dataclass(frozen=True)
class ModelFileRow:
    """One model file of an installed plugin or a registered model, as ``aigc models`` shows it."""

    plugin: str
    file: str
    sha256: str
    size: int
    verified: bool
    problem: str | None
    providers: list[str]


def _rows(
    owner: str, manifest: Manifest, problems: dict[str, str | None], seen: dict[tuple[str, str], list[str]]
) -> list[ModelFileRow]:
    """One row per file of ``manifest``, with its problem (None if intact) and the providers seen."""
    return [
        ModelFileRow(
            owner,
            file,
            entry.sha256,
            entry.size,
            problems[file] is None,
            problems[file],
            seen.get((file, entry.sha256), []),
        )
        for file, entry in manifest.files.items()
    ]


def model_file_rows(registry: PluginRegistry, seen: dict[tuple[str, str], list[str]]) -> list[ModelFileRow]:
    """Every file in every installed plugin's manifest, checked against its sha256."""
    rows = []
    specs: list[GeneratorSpec | EvaluatorSpec] = [
        *registry.generators.values(),
        *registry.evaluators.values(),
    ]
    for spec in specs:
        if spec.model_dir is None:
            continue
        try:
            manifest = load_manifest(spec.model_dir)
            problems = verify_manifest(spec.model_dir)
        except Exception as error:
            rows.append(ModelFileRow(spec.name, str(spec.model_dir), "", 0, False, str(error), []))
            continue
        rows += _rows(spec.name, manifest, problems, seen)
    return rows


def installed_model_rows(data_dir: Path, seen: dict[tuple[str, str], list[str]]) -> list[ModelFileRow]:
    """Every file of every model installed with ``aigc models install``, checked against its manifest."""
    rows = []
    for name, model in installables().items():
        for variant in model.variants:
            folder = model.folder(data_dir, variant)
            if (folder / MANIFEST_NAME).is_file():
                owner = f"{name} ({variant}, installed)"
                rows += _rows(owner, load_manifest(folder), verify_manifest(folder), seen)
    return rows


def registered_model_rows(models_file: Path, seen: dict[tuple[str, str], list[str]]) -> list[ModelFileRow]:
    """Every file of every model registered by path, checked against its sha256 at registration."""
    rows = []
    for name, model in load_registered(models_file).items():
        rows += _rows(f"{name} (registered)", model.manifest, model.verify(), seen)
    return rows
