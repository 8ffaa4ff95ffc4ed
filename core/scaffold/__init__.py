"""``aigc plugin new``: write an installable plugin package from the templates beside this module."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template
from typing import Literal

from aigc.core.specs import NAME_PATTERN
from aigc.core.validation import invalid

PluginKind = Literal["generator", "evaluator"]
SkeletonModality = Literal["text", "image", "audio"]
TEMPLATES = Path(__file__).resolve().parent / "templates"

# What each generator skeleton produces, whether it takes a prompt, and its `aigc demo` example.
GENERATOR_SKELETONS: dict[str, dict[str, str]] = {
    "text": {
        "media_type": "text/plain",
        "prompt": "optional",
        "example": '{"prompt": "Hello", "options": {"words": 8}, "n": 2}',
    },
    "image": {"media_type": "image/png", "prompt": "none", "example": '{"options": {"size": 8}, "n": 4}'},
    "audio": {
        "media_type": "audio/wav",
        "prompt": "none",
        "example": '{"options": {"seconds": 1.0}, "n": 2}',
    },
}


def _files(package: str, kind: PluginKind, modality: SkeletonModality) -> dict[str, str]:
    """Path in the new package -> template name."""
    flavour = modality if kind == "generator" else kind
    return {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        "export.py": "export.py.tmpl",
        f"{package}/__init__.py": f"__init__.py.{kind}.tmpl",
        f"{package}/options.py": f"options.{flavour}.tmpl",
        f"{package}/{kind}.py": f"{kind}.{flavour}.tmpl",
        f"tests/test_{package}.py": f"test.{flavour}.tmpl",
    }


def new_plugin(name: str, kind: PluginKind, parent: Path, modality: SkeletonModality = "text") -> Path:
    """Write package ``aigc-NAME`` into ``parent`` and return its folder: a ``modality`` (text, image
    or audio) skeleton for generators. ``InvalidRequestError`` for a bad name, kind or modality, or
    a folder that already has files."""
    if not re.match(NAME_PATTERN, name):
        raise invalid("name", name, f"must match {NAME_PATTERN} (lowercase letters, digits, '-')")
    if kind not in ("generator", "evaluator"):
        raise invalid("kind", kind, "must be 'generator' or 'evaluator'")
    if modality not in GENERATOR_SKELETONS:
        raise invalid("modality", modality, f"must be one of {', '.join(GENERATOR_SKELETONS)}")
    if kind == "evaluator" and modality != "text":
        raise invalid("modality", modality, "applies to generators; the evaluator skeleton scores text")
    folder = Path(parent) / f"aigc-{name}"
    if folder.exists() and any(folder.iterdir()):
        raise invalid("dir", str(folder), "already exists and is not empty")
    package = "aigc_" + name.replace("-", "_")
    values = {
        "name": name,
        "package": package,
        "kind": kind,
        "title": "".join(part.capitalize() for part in name.split("-")),
        "modality": modality,
        **GENERATOR_SKELETONS[modality],
    }
    for target, template in _files(package, kind, modality).items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
    return folder
