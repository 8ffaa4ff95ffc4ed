"""The job spec: what to generate, from which inputs, how often, and where the accepted results go."""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from aigc.core.schemas import (
    MAX_SAMPLES,
    MAX_SEED,
    AcceptancePolicy,
    EvaluatorRef,
    Name,
    evaluator_names_as_refs,
)

MAX_INLINE_INPUTS = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlInputs(_Strict):
    """Rows of a SQL query against any SQLAlchemy URL; each row's columns become an input."""

    url: str = Field(min_length=1, description="SQLAlchemy URL of the database to read")
    query: str = Field(
        min_length=1, max_length=20_000, description="a SELECT whose columns name input fields"
    )


class InputSource(_Strict):
    """Exactly one source of inputs. An input's ``prompt`` field is the prompt; every other field
    is an option of the generator, overriding the job's ``options``."""

    items: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=MAX_INLINE_INPUTS)
    csv: str | None = Field(None, min_length=1, description="CSV file (header row), relative to the spec")
    jsonl: str | None = Field(None, min_length=1, description="JSON Lines file, one object per line")
    sql: SqlInputs | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> InputSource:
        given = [name for name in ("items", "csv", "jsonl", "sql") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of items, csv, jsonl, sql (got {', '.join(given) or 'none'})")
        return self


class SeedPolicy(_Strict):
    """``fixed``: sample ``i`` of every input uses ``base + i``; ``distinct``: every item its own seed,
    ``base + input_index * samples + i``."""

    policy: Literal["fixed", "distinct"] = "distinct"
    base: int = Field(0, ge=0, le=MAX_SEED // 2)


class Outputs(_Strict):
    """Where a finished run exports its results: metadata as JSONL or CSV, plus the artifact files."""

    url: str = Field(min_length=1, description="folder or fsspec URL (relative folders: to the spec)")
    format: Literal["jsonl", "csv"] = "jsonl"
    files: bool = Field(True, description="copy each exported artifact's file next to the metadata")
    statuses: list[Literal["accepted", "rejected", "failed"]] = Field(["accepted"], min_length=1)


class Schedule(_Strict):
    """A cron schedule (five fields, evaluated in ``timezone``) fired by ``aigc scheduler``."""

    cron: str = Field(min_length=9, max_length=128, description="minute hour day month day-of-week")
    timezone: str = "UTC"
    misfire_grace_s: int = Field(3600, ge=1, le=7 * 86_400, description="how late a firing may still run")

    @model_validator(mode="after")
    def _parses(self) -> Schedule:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(self.cron, timezone=self.timezone)
        except (ValueError, LookupError) as error:
            raise ValueError(f"not a valid cron expression or timezone: {error}") from None
        return self


class Concurrency(_Strict):
    """How items are claimed: ``batch_size`` at a time, each under a lease renewed by heartbeats."""

    batch_size: int = Field(16, ge=1, le=1024)
    lease_s: float = Field(
        60.0, ge=0.5, le=86_400, description="a claim expires this long after its heartbeat"
    )
    max_attempts: int = Field(3, ge=1, le=100, description="an item failing this often is marked failed")


class JobSpec(_Strict):
    """A batch of generation requests: ``n`` samples per input, each an item with its own seed."""

    name: Name
    generator: Name
    options: dict[str, Any] = Field(default_factory=dict, max_length=64)
    inputs: InputSource = Field(default_factory=lambda: InputSource(items=[{}]))
    # ``n`` as in a generation request; ``samples`` is its old name, still read for one release.
    n: int = Field(1, ge=1, le=MAX_SAMPLES, validation_alias=AliasChoices("n", "samples"))
    seed: SeedPolicy = Field(default_factory=SeedPolicy)
    evaluators: list[EvaluatorRef] = Field(default_factory=list, max_length=16)
    policy: AcceptancePolicy | None = None
    outputs: Outputs | None = None
    schedule: Schedule | None = None
    concurrency: Concurrency = Field(default_factory=Concurrency)

    _names_as_refs = field_validator("evaluators", mode="before")(evaluator_names_as_refs)

    @model_validator(mode="before")
    @classmethod
    def _samples_is_deprecated(cls, data: Any) -> Any:
        if isinstance(data, dict) and "samples" in data:
            warnings.warn(
                "job spec field 'samples' is now 'n'; 'samples' goes in the next release",
                FutureWarning,
                stacklevel=2,
            )
        return data

    def item_seed(self, input_index: int, sample_index: int) -> int:
        """The seed of sample ``sample_index`` of input ``input_index`` under the seed policy."""
        offset = sample_index if self.seed.policy == "fixed" else input_index * self.n + sample_index
        return self.seed.base + offset
