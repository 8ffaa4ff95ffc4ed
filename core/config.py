"""Where aigc keeps its data and how long it waits for plugins, from arguments or the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

DEFAULT_DATA_DIR = "aigc-data"
MODELS_FILE = "models.json"


class Settings(BaseModel):
    """Engine settings. ``from_env`` reads ``AIGC_HOME``, ``AIGC_DATABASE_URL``, ``AIGC_BLOB_URL``,
    ``AIGC_MODELS``, ``AIGC_GENERATOR_TIMEOUT``, ``AIGC_EVALUATOR_TIMEOUT`` and the ``AIGC_``
    variable of each other setting (``AIGC_GROUP_COMMIT_MS``, ...)."""

    data_dir: Path = Field(Path(DEFAULT_DATA_DIR), description="folder for the SQLite database and blobs")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir")
    blob_url: str | None = Field(None, description="fsspec URL or folder for artifact blobs")
    models_file: Path | None = Field(
        None, description="registered model folders; default: data_dir/models.json"
    )
    generator_timeout_s: float = Field(600.0, gt=0, le=86_400, description="limit for one generator call")
    evaluator_timeout_s: float = Field(300.0, gt=0, le=86_400, description="limit for one evaluator call")
    decode_batch_rows: int = Field(
        32,
        ge=0,
        le=256,
        description="continuous batching: rows a chat model decodes together across requests; 0 turns it off",
    )
    decode_queue_rows: int = Field(
        256, ge=1, le=100_000, description="rows that may wait for the decode batch; more are refused (429)"
    )
    group_commit_ms: float = Field(
        0.0,
        ge=0,
        le=1000,
        description=(
            "longest wait of a store for other requests of the process to commit with it; concurrent "
            "requests share commits even at 0"
        ),
    )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from the environment, with explicit non-None ``overrides`` taking precedence."""
        env = {
            "data_dir": os.environ.get("AIGC_HOME"),
            "database_url": os.environ.get("AIGC_DATABASE_URL"),
            "blob_url": os.environ.get("AIGC_BLOB_URL"),
            "models_file": os.environ.get("AIGC_MODELS"),
            "generator_timeout_s": os.environ.get("AIGC_GENERATOR_TIMEOUT"),
            "evaluator_timeout_s": os.environ.get("AIGC_EVALUATOR_TIMEOUT"),
            "decode_batch_rows": os.environ.get("AIGC_DECODE_BATCH_ROWS"),
            "decode_queue_rows": os.environ.get("AIGC_DECODE_QUEUE_ROWS"),
            "group_commit_ms": os.environ.get("AIGC_GROUP_COMMIT_MS"),
        }
        values = {k: v for k, v in env.items() if v} | {k: v for k, v in overrides.items() if v is not None}
        return cls.model_validate(values)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'aigc.db'}"

    @property
    def resolved_blob_url(self) -> str:
        return self.blob_url or str(self.data_dir / "blobs")

    @property
    def resolved_models_file(self) -> Path:
        return self.models_file or self.data_dir / MODELS_FILE
