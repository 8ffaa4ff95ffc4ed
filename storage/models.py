"""The SQL schema: typed declarative models of requests, generations, artifacts and their verdicts.

Everything here must run unchanged on SQLite and PostgreSQL: portable column types only,
and every constraint and index named through the naming convention so that migrations can
refer to them (SQLite's batch mode needs the names to recreate tables).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GENERATION_STATUSES = ("accepted", "rejected", "failed")
REQUEST_STATUSES = ("completed", "failed")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores text without one and hands back
    naive values, so values are normalised to UTC on the way in and marked UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got naive {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata and its naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: sa.JSON,
        list[str]: sa.JSON,
    }


class RequestRow(Base):
    """One generation request as it was run."""

    __tablename__ = "requests"
    __table_args__ = (sa.CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    generator: Mapped[str] = mapped_column(sa.String(64))
    generator_version: Mapped[str] = mapped_column(sa.String(32))
    model_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    prompt: Mapped[str | None] = mapped_column(sa.Text)
    # A chat request's conversation ([{"role", "content"}, ...]) instead of a prompt.
    messages: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON(none_as_null=True))
    options: Mapped[dict[str, Any]]
    n: Mapped[int]
    # Candidates per output: the request has n * best_of generations (see GenerationRequest).
    best_of: Mapped[int] = mapped_column(default=1, server_default="1")
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    evaluators: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    policy: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    request_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16))
    error: Mapped[str | None] = mapped_column(sa.Text)
    # A failed request's traceback: for the operator (``aigc results request``), never sent to clients.
    traceback: Mapped[str | None] = mapped_column(sa.Text)
    timings: Mapped[dict[str, Any]]

    generations: Mapped[list[GenerationRow]] = relationship(
        back_populates="request", order_by="GenerationRow.index", passive_deletes=True
    )
    set_evaluations: Mapped[list[SetEvaluationRow]] = relationship(
        back_populates="request", order_by="SetEvaluationRow.id", passive_deletes=True
    )


class GenerationRow(Base):
    """One sample of a request, with a copy of its provenance so that it stands on its own."""

    __tablename__ = "generations"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "index"),
        sa.CheckConstraint(_in("status", GENERATION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    index: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    generator: Mapped[str] = mapped_column(sa.String(64), index=True)
    generator_version: Mapped[str] = mapped_column(sa.String(32))
    model_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    prompt: Mapped[str | None] = mapped_column(sa.Text)
    messages: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON(none_as_null=True))
    options: Mapped[dict[str, Any]]
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    # The deterministic key repeats whenever the same sample is generated again: not unique.
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    # Set by jobs, whose items must be written at most once.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    score: Mapped[float | None] = mapped_column(sa.Float)
    reasons: Mapped[list[str]]
    error: Mapped[str | None] = mapped_column(sa.Text)
    timings: Mapped[dict[str, Any]]
    job_run_id: Mapped[int | None]

    request: Mapped[RequestRow] = relationship(back_populates="generations")
    artifacts: Mapped[list[ArtifactRow]] = relationship(
        back_populates="generation", order_by="ArtifactRow.index", passive_deletes=True
    )
    evaluations: Mapped[list[EvaluationRow]] = relationship(
        back_populates="generation", order_by="EvaluationRow.id", passive_deletes=True
    )


class ArtifactRow(Base):
    """One output of a sample: bytes in the blob store under ``sha256``, or text inline."""

    __tablename__ = "artifacts"
    __table_args__ = (sa.UniqueConstraint("generation_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("generations.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int]
    media_type: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    uri: Mapped[str | None] = mapped_column(sa.String(2048))
    text: Mapped[str | None] = mapped_column(sa.Text)
    artifact_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", sa.JSON)

    generation: Mapped[GenerationRow] = relationship(back_populates="artifacts")
    feedback: Mapped[list[FeedbackRow]] = relationship(
        back_populates="artifact", order_by="FeedbackRow.id", passive_deletes=True
    )


class MetricColumns:
    """The columns of one evaluator result (``aigc.core.schemas.EvalResult``)."""

    evaluator: Mapped[str] = mapped_column(sa.String(64))
    evaluator_version: Mapped[str] = mapped_column(sa.String(32))
    metric: Mapped[str] = mapped_column(sa.String(96))
    score: Mapped[float | None] = mapped_column(sa.Float)
    value: Mapped[float | None] = mapped_column(sa.Float)
    passed: Mapped[bool | None]
    reason: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(sa.Text)


class EvaluationRow(MetricColumns, Base):
    """One metric an evaluator reported for a sample (or one of its artifacts)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("generations.id", ondelete="CASCADE"), index=True
    )
    artifact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"), index=True
    )

    generation: Mapped[GenerationRow] = relationship(back_populates="evaluations")
    artifact: Mapped[ArtifactRow | None] = relationship()


class SetEvaluationRow(MetricColumns, Base):
    """One metric a set-level evaluator reported over all of a request's matching artifacts."""

    __tablename__ = "set_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    sample_count: Mapped[int]

    request: Mapped[RequestRow] = relationship(back_populates="set_evaluations")


class FeedbackRow(Base):
    """A person's rating of an artifact."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(sa.ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int]
    label: Mapped[str | None] = mapped_column(sa.String(64))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    artifact: Mapped[ArtifactRow] = relationship(back_populates="feedback")


class ModelRow(Base):
    """A model file the runtime has loaded, with every execution provider it ran on."""

    __tablename__ = "models"
    __table_args__ = (sa.UniqueConstraint("name", "version", "file", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    version: Mapped[str] = mapped_column(sa.String(64))
    file: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    opset: Mapped[int | None]
    providers: Mapped[list[str]]
    first_seen: Mapped[datetime] = mapped_column(default=utc_now)
    last_used: Mapped[datetime] = mapped_column(default=utc_now)


class PluginErrorRow(Base):
    """A plugin's generator or evaluator that failed to build or to run (load failures are not stored)."""

    __tablename__ = "plugin_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(255))
    # import, register, factory or call, possibly with detail ("generator toy: factory").
    stage: Mapped[str] = mapped_column(sa.String(255))
    error_type: Mapped[str] = mapped_column(sa.String(255))
    message: Mapped[str] = mapped_column(sa.Text)
    traceback: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


API_KEY_SCOPES = ("read", "generate", "admin")


class ApiKeyRow(Base):
    """An HTTP API key: only the sha256 of its token is kept, never the token itself."""

    __tablename__ = "api_keys"
    __table_args__ = (sa.CheckConstraint(_in("scope", API_KEY_SCOPES), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    # The token's first characters, shown in listings so that people can tell keys apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


JOB_RUN_STATUSES = ("running", "completed", "cancelled")
JOB_ITEM_STATUSES = ("pending", "running", "done", "failed")


class JobRow(Base):
    """A job spec by name, as last submitted; ``schedule`` is its cron expression, if any."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    spec: Mapped[dict[str, Any]]
    schedule: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class JobRunRow(Base):
    """One run of a job. A scheduled run carries its fire time, unique per job: one run per firing."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "fire_time"),
        sa.CheckConstraint(_in("status", JOB_RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    fire_time: Mapped[datetime | None]
    spec: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]


class JobItemRow(Base):
    """One sample a run must produce: input, seed, idempotency key, and who holds it until when."""

    __tablename__ = "job_items"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "input_index", "sample_index"),
        sa.CheckConstraint(_in("status", JOB_ITEM_STATUSES), name="status"),
        sa.Index("ix_job_items_run_id_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("job_runs.id", ondelete="CASCADE"))
    input_index: Mapped[int]
    sample_index: Mapped[int]
    input: Mapped[dict[str, Any]]
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(128))
    lease_expires_at: Mapped[datetime | None]
    generation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("generations.id", ondelete="SET NULL"), index=True
    )
    error: Mapped[str | None] = mapped_column(sa.Text)


TICKET_STATUSES = ("pending", "completed", "failed")


class TicketRow(Base):
    """A request answered 202 (still running): polled by any server process sharing the database.

    The process running it (``lease_owner``) renews ``lease_expires_at`` while it works; a pending ticket
    whose lease has run out belongs to a process that died.
    """

    __tablename__ = "tickets"
    __table_args__ = (sa.CheckConstraint(_in("status", TICKET_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[str] = mapped_column(sa.String(16))
    lease_owner: Mapped[str] = mapped_column(sa.String(128), index=True)
    lease_expires_at: Mapped[datetime]
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(sa.Text)
    finished_at: Mapped[datetime | None]


class RateLimitRow(Base):
    """One token bucket of a rate limit, as the time it is full again (``full_at``, seconds since
    the epoch; the generic cell rate algorithm): a single column that one statement can test and
    move, so that every server process sharing the database takes from the same bucket."""

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    full_at: Mapped[float] = mapped_column(sa.Double)
    # Whether the last attempt took its tokens (returned by the same statement that decided it).
    granted: Mapped[bool]


class ModelVersionRow(Base):
    """A version of a registered model made from another one (its parent), with how it was made.

    ``traffic_share`` is the fraction of requests naming the model without a version that are
    routed to this version (A/B routing); the shares of one model's versions add up to at most 1.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        sa.UniqueConstraint("model", "version"),
        sa.CheckConstraint("traffic_share >= 0 AND traffic_share <= 1", name="traffic_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[str] = mapped_column(sa.String(32))
    # What it was made from: ``name`` or ``name@version`` of a registered model.
    parent: Mapped[str] = mapped_column(sa.String(128))
    parent_sha256: Mapped[str] = mapped_column(sa.String(64))
    dataset_sha256: Mapped[str] = mapped_column(sa.String(64))
    method: Mapped[str] = mapped_column(sa.String(16))
    hyperparameters: Mapped[dict[str, Any]]
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    path: Mapped[str] = mapped_column(sa.String(2048))
    # {file name: sha256} of every file of the version's folder; ``sha256`` covers them all.
    files: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    traffic_share: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
