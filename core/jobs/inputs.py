"""Reading a job's inputs: an inline list, a CSV or JSON Lines file, or the rows of a SQL query."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import fsspec

from aigc.core.jobs.spec import MAX_INLINE_INPUTS, InputSource
from aigc.core.validation import invalid


def read_inputs(source: InputSource, base_dir: Path) -> list[dict[str, Any]]:
    """Every input row, in order. Relative file paths are resolved against ``base_dir``."""
    if source.items is not None:
        rows = [dict(row) for row in source.items]
    elif source.csv is not None:
        with fsspec.open(_resolve(source.csv, base_dir), "r", encoding="utf-8", newline="") as handle:
            rows = [dict(row) for row in csv.DictReader(handle)]
    elif source.jsonl is not None:
        rows = _read_jsonl(_resolve(source.jsonl, base_dir))
    else:
        assert source.sql is not None  # the spec requires exactly one source
        rows = _read_sql(source.sql.url, source.sql.query)
    if not rows:
        raise invalid("inputs", None, "the input source has no rows")
    if len(rows) > MAX_INLINE_INPUTS:
        raise invalid("inputs", len(rows), f"at most {MAX_INLINE_INPUTS} inputs per job")
    return rows


def _resolve(location: str, base_dir: Path) -> str:
    return location if "://" in location or Path(location).is_absolute() else str(base_dir / location)


def _read_jsonl(location: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with fsspec.open(location, "r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise invalid("inputs.jsonl", f"line {number}", f"not JSON: {error.msg}") from None
            if not isinstance(row, dict):
                raise invalid("inputs.jsonl", f"line {number}", "each line must be a JSON object")
            rows.append(row)
    return rows


def _read_sql(url: str, query: str) -> list[dict[str, Any]]:
    from aigc.storage.database import query_rows

    try:
        return query_rows(url, query)
    except ValueError as error:
        raise invalid("inputs.sql.query", query, str(error)) from None
