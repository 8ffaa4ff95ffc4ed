"""``aigc plugin new``: write an installable plugin package from the templates beside this module."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template
from typing import Literal

from aigc.core.specs import NAME_PATTERN
from aigc.core.validation import invalid

PluginKind = Literal["generator", "evaluator"]
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _files(package: str, kind: PluginKind) -> dict[str, str]:
    """Path in the new package -> template name."""
    return {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        "export.py": "export.py.tmpl",
        f"{package}/__init__.py": f"__init__.py.{kind}.tmpl",
        f"{package}/options.py": f"options.{kind}.tmpl",
        f"{package}/{kind}.py": f"{kind}.{kind}.tmpl",
        f"tests/test_{package}.py": f"test.{kind}.tmpl",
    }


def new_plugin(name: str, kind: PluginKind, parent: Path) -> Path:
    """Write package ``aigc-NAME`` into ``parent`` and return its folder; ``InvalidRequestError``
    for a bad name or kind, or a folder that already has files."""
    if not re.match(NAME_PATTERN, name):
        raise invalid("name", name, f"must match {NAME_PATTERN} (lowercase letters, digits, '-')")
    if kind not in ("generator", "evaluator"):
        raise invalid("kind", kind, "must be 'generator' or 'evaluator'")
    folder = Path(parent) / f"aigc-{name}"
    if folder.exists() and any(folder.iterdir()):
        raise invalid("dir", str(folder), "already exists and is not empty")
    package = "aigc_" + name.replace("-", "_")
    values = {
        "name": name,
        "package": package,
        "kind": kind,
        "title": "".join(part.capitalize() for part in name.split("-")),
    }
    for target, template in _files(package, kind).items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
    return folder
