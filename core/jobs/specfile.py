"""Reading a job spec from YAML, with every validation error pointing at its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from aigc.core.errors import InvalidRequestError
from aigc.core.jobs.spec import JobSpec
from aigc.core.validation import field_errors

MAX_SPEC_BYTES = 1_000_000


class JobSpecError(InvalidRequestError):
    """A job spec that is not valid YAML or not a valid spec; entries carry ``line`` (1-based)."""

    def __init__(self, source: str, errors: list[dict[str, object]]) -> None:
        super().__init__(errors)
        self.source = source
        lines = [
            f"{source}:{e.get('line', '?')}: {e['field']}: {e['message']} (got {e['value']!r})"
            for e in errors
        ]
        self.args = ("invalid job spec:\n  " + "\n  ".join(lines),)


@dataclass(frozen=True)
class LoadedSpec:
    """A valid spec, the folder its relative paths are resolved against, and its YAML node tree."""

    spec: JobSpec
    base_dir: Path
    source: str
    root: yaml.Node | None

    def error(self, errors: list[dict[str, object]]) -> JobSpecError:
        """A ``JobSpecError`` for problems found after parsing (their ``field`` is a dotted path)."""
        return JobSpecError(self.source, [_with_line(self.root, e) for e in errors])


def load_spec(path: Path) -> LoadedSpec:
    """Parse and validate the spec in ``path``; raises ``JobSpecError``."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise JobSpecError(
            source, [{"field": "file", "value": source, "message": str(error), "line": 0}]
        ) from None
    if len(text.encode()) > MAX_SPEC_BYTES:
        raise JobSpecError(
            source, [{"field": "file", "value": len(text), "message": f"larger than {MAX_SPEC_BYTES} bytes"}]
        )
    return parse_spec(text, source, path.resolve().parent)


def parse_spec(text: str, source: str, base_dir: Path) -> LoadedSpec:
    """Parse and validate spec ``text``; ``source`` names it in errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        message = str(getattr(error, "problem", None) or error)
        raise JobSpecError(
            source, [{"field": "yaml", "value": None, "message": message, "line": line}]
        ) from None
    try:
        spec = JobSpec.model_validate(data)
    except ValidationError as error:
        raise JobSpecError(source, [_with_line(root, e) for e in field_errors(error)]) from None
    return LoadedSpec(spec, base_dir, source, root)


def _with_line(root: yaml.Node | None, entry: dict[str, object]) -> dict[str, object]:
    return {**entry, "line": line_of(root, _path(str(entry["field"])))}


def _path(field: str) -> list[str | int]:
    parts: list[str | int] = []
    for dotted in field.replace("]", "").split("."):
        name, *indices = dotted.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices)
    return parts


def line_of(root: yaml.Node | None, path: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node along ``path`` that exists (1 for an empty document)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None
