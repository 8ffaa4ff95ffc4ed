"""Exporting a run's results: one metadata record per sample (JSONL or CSV) plus the artifact files,
to a folder or any fsspec URL."""

from __future__ import annotations

import csv
import io
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from aigc.core.jobs.spec import Outputs
from aigc.storage.runs import run_samples
from aigc.storage.store import Store

CSV_COLUMNS = (
    "run_id",
    "input_index",
    "sample_index",
    "generation_id",
    "status",
    "score",
    "seed",
    "key",
    "files",
)


@dataclass(frozen=True)
class ExportSummary:
    """Where the records went and how many samples and files were written."""

    records_url: str
    samples: int
    files: int


def export_run(store: Store, run_id: int, outputs: Outputs, base_dir: Path) -> ExportSummary:
    """Write the run's samples whose status is in ``outputs.statuses`` to ``outputs.url``.

    Exporting again rewrites the same files: names derive from the run and generation ids.
    """
    url = (
        outputs.url
        if "://" in outputs.url or Path(outputs.url).is_absolute()
        else str(base_dir / outputs.url)
    )
    fs, root = fsspec.core.url_to_fs(url)
    fs.makedirs(root, exist_ok=True)
    records, files = [], 0
    for item_input, input_index, sample_index, generation_id in run_samples(store, run_id, outputs.statuses):
        generation = store.get_generation(generation_id)
        names = []
        for artifact in generation.artifacts if outputs.files else []:
            name = f"files/{generation_id}-{artifact.index}{_extension(artifact.media_type)}"
            fs.makedirs(f"{root}/files", exist_ok=True)
            fs.pipe_file(f"{root}/{name}", store.read_artifact(artifact.id))
            names.append(name)
            files += 1
        records.append(
            {
                "run_id": run_id,
                "input_index": input_index,
                "sample_index": sample_index,
                "input": item_input,
                "generation_id": generation_id,
                "status": generation.status,
                "score": generation.score,
                "reasons": generation.reasons,
                "seed": generation.seed,
                "key": generation.key,
                "files": names,
                "artifacts": [a.model_dump(mode="json") for a in generation.artifacts],
                "evaluations": [e.model_dump(mode="json") for e in generation.evaluations],
            }
        )
    records_path = f"{root}/run-{run_id}.{outputs.format}"
    fs.pipe_file(records_path, _encode(records, outputs.format))
    return ExportSummary(str(fs.unstrip_protocol(records_path)), len(records), files)


def _extension(media_type: str) -> str:
    return mimetypes.guess_extension(media_type) or ".bin"


def _encode(records: list[dict[str, Any]], format: str) -> bytes:
    if format == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*CSV_COLUMNS, "input"], extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({**record, "input": json.dumps(record["input"]), "files": " ".join(record["files"])})
    return buffer.getvalue().encode()
