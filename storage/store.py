"""The store: the one API the engine, the CLI and the HTTP layer use to keep and read results.

Rows live in a SQL database (SQLite by default, PostgreSQL for several machines); artifact bytes
in a content-addressed blob store. ``save`` writes the blobs first, makes them durable and only
then commits every row in one transaction, so a failure leaves no partial request behind, at
most blobs no row points to (which a garbage collector can remove by comparing
``BlobStore.iter_hashes`` with the ``artifacts`` table), and no row ever names bytes that could
still be lost. Requests saved together (``save_many``, or concurrent ``save`` calls sharing a
group commit) share one blob batch and one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from aigc.core.errors import BlobIntegrityError, DuplicateKeyError, NotFoundError
from aigc.core.runtime import LoadedModel
from aigc.core.schemas import Artifact, Feedback, FeedbackInput, Generation, GenerationResult
from aigc.storage import inserts, queries
from aigc.storage.api_keys import ApiKeyStore
from aigc.storage.blobs import BlobStore, sha256_hex
from aigc.storage.database import open_database, read_only, sqlite_database_url
from aigc.storage.dataset import DEFAULT_MIN_RATING, dataset_examples
from aigc.storage.filters import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    GenerationFilter,
    RequestFilter,
)
from aigc.storage.group_commit import GroupCommit
from aigc.storage.mapping import export_record, from_row, model_key
from aigc.storage.model_versions import ModelVersionStore
from aigc.storage.models import (
    ArtifactRow,
    FeedbackRow,
    ModelRow,
    PluginErrorRow,
    RequestRow,
    utc_now,
)
from aigc.storage.records import NewRequest
from aigc.storage.views import ModelRecord, PluginErrorRecord

DATABASE_FILE = "aigc.db"
BLOB_FOLDER = "blobs"
EXPORT_PAGE_SIZE = 200
GROUP_COMMIT_MAX_REQUESTS = 64


class Store:
    """Requests, generations, artifacts, evaluations, feedback, models and plugin errors.

    ``database_url`` is any SQLAlchemy URL (the schema is migrated on opening); ``blob_url`` a
    local folder or an fsspec URL. Safe to use from several threads and several processes.
    ``api_keys`` keeps the HTTP API's keys; ``aigc.storage.runs`` and ``aigc.storage.leases`` keep
    jobs in the same database.

    Concurrent ``save`` calls of one process share a commit (see ``aigc.storage.group_commit``);
    the first of them waits up to ``group_commit_ms`` for others before committing.
    """

    def __init__(self, database_url: str, blob_url: str, *, group_commit_ms: float = 0.0) -> None:
        self.engine = open_database(database_url)
        self.blobs = BlobStore(blob_url)
        self.api_keys = ApiKeyStore(self.engine)
        self.model_versions = ModelVersionStore(self.engine)
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(read_only(self.engine), expire_on_commit=False)
        self._commits: GroupCommit[NewRequest, GenerationResult] = GroupCommit(
            self._save_together, group_commit_ms / 1000, GROUP_COMMIT_MAX_REQUESTS
        )

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None, *, group_commit_ms: float = 0.0) -> Store:
        """The store of a data folder: SQLite at ``data_dir/aigc.db`` (unless ``database_url``
        names another database) and blobs under ``data_dir/blobs``."""
        data_dir = Path(data_dir)
        return cls(
            database_url or sqlite_database_url(data_dir / DATABASE_FILE),
            str(data_dir / BLOB_FOLDER),
            group_commit_ms=group_commit_ms,
        )

    def close(self) -> None:
        """Close every pooled database connection."""
        self.engine.dispose()

    def _session(self) -> Session:
        """A read session for the storage modules that keep other tables (``runs``, ``leases``)."""
        return self._read()

    def _transaction(self) -> AbstractContextManager[Session]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite) for the storage modules that keep other
        tables; it commits on leaving the block."""
        return self._write.begin()

    def ping(self) -> None:
        """Run a trivial query: raises if the database does not answer."""
        with self._read() as session:
            session.execute(sa.text("SELECT 1"))

    def generation_ids_by_key(self, keys: Iterable[str]) -> dict[str, int]:
        """The stored samples among these idempotency keys: key → generation id."""
        with self._read() as session:
            rows = session.execute(queries.generations_by_idempotency_key(list(keys)))
            return {key: generation_id for key, generation_id in rows if key is not None}

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def save(self, request: NewRequest) -> GenerationResult:
        """Store a request with its samples, artifacts and evaluations, all or nothing.

        Artifact bytes go to the blob store first; text artifacts are kept inline. Raises
        ``DuplicateKeyError`` when a sample's ``idempotency_key`` is taken already. Concurrent
        calls may share one transaction; each gets its own result or error.
        """
        return self._commits.submit(request)

    def save_many(self, requests: Sequence[NewRequest]) -> list[GenerationResult | Exception]:
        """Store several requests as ``save`` does, with one blob batch and one transaction.

        Returns one outcome per request, in order: its result, or the error ``save`` would raise
        (a request whose key is taken does not keep the others from being stored). An error of
        the database itself (it cannot be reached, say) is raised.
        """
        return self._save_together(list(requests))

    def _save_together(self, requests: list[NewRequest]) -> list[GenerationResult | Exception]:
        outcomes: dict[int, GenerationResult | Exception] = {}
        plans: dict[int, inserts.PlannedRequest] = {}
        for index, request in enumerate(requests):
            try:
                plans[index] = inserts.plan(request, self.blobs.uri)  # checks it before anything is written
            except ValueError as error:
                outcomes[index] = error
        self.blobs.put_many(
            [
                a.data
                for i in plans
                for g in requests[i].generations
                for a in g.artifacts
                if a.data is not None
            ]
        )
        try:
            with self._write.begin() as session:
                outcomes |= dict(zip(plans, inserts.insert(session, list(plans.values())), strict=True))
        except IntegrityError:
            # Some key is taken: insert each request under its own savepoint to tell whose.
            outcomes |= dict(zip(plans, self._insert_each([requests[i] for i in plans]), strict=True))
        return [outcomes[index] for index in range(len(requests))]

    def _insert_each(self, requests: list[NewRequest]) -> list[GenerationResult | Exception]:
        """Insert ``requests`` in one transaction, each under a savepoint: one that breaks a
        constraint is left out and gets its error, the others are stored."""
        outcomes: list[GenerationResult | Exception] = []
        with self._write.begin() as session:
            for request in requests:
                try:
                    with session.begin_nested():
                        [result] = inserts.insert(session, [inserts.plan(request, self.blobs.uri)])
                    outcomes.append(result)
                except IntegrityError as error:
                    outcomes.append(self._integrity_error(session, request, error))
            return outcomes

    @staticmethod
    def _integrity_error(session: Session, request: NewRequest, error: IntegrityError) -> Exception:
        keys = [g.idempotency_key for g in request.generations if g.idempotency_key is not None]
        taken = sorted(k for k, _ in session.execute(queries.generations_by_idempotency_key(keys)) if k)
        if taken:
            return DuplicateKeyError(f"idempotency_key {taken[0]!r} is stored already")
        return error

    def get_request(self, request_id: int) -> GenerationResult:
        """A stored request with its samples."""
        with self._read() as session:
            row = session.scalars(queries.request_with_generations(request_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"request {request_id} not found")
            return from_row(GenerationResult, row)

    def get_traceback(self, request_id: int) -> str | None:
        """The traceback of a failed request's error (None when it has none); for operators only."""
        with self._read() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"request {request_id} not found")
            return row.traceback

    def get_generation(self, generation_id: int) -> Generation:
        """A stored sample with its artifacts and evaluations."""
        with self._read() as session:
            row = session.scalars(queries.generation_with_contents(generation_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"generation {generation_id} not found")
            return from_row(Generation, row)

    def list_generations(
        self, where: GenerationFilter | None = None, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[Generation]:
        """Samples matching ``where`` (all when None), newest first, ``limit`` (1 to
        ``MAX_PAGE_SIZE``) from ``offset``."""
        _check_page(limit, offset)
        statement = queries.newest_generations(where or GenerationFilter(), limit=limit, offset=offset)
        with self._read() as session:
            return [from_row(Generation, row) for row in session.scalars(statement)]

    def count_generations(self, where: GenerationFilter | None = None) -> int:
        """How many samples match ``where`` (all when None)."""
        with self._read() as session:
            count: int = session.scalars(queries.generation_count(where or GenerationFilter())).one()
            return count

    def list_requests(
        self, where: RequestFilter | None = None, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[GenerationResult]:
        """Requests matching ``where`` (all when None) with their samples, newest first; a failed
        request has no samples, only its ``error``."""
        _check_page(limit, offset)
        statement = queries.newest_requests(where or RequestFilter(), limit=limit, offset=offset)
        with self._read() as session:
            return [from_row(GenerationResult, row) for row in session.scalars(statement)]

    def count_requests(self, where: RequestFilter | None = None) -> int:
        """How many requests match ``where`` (all when None)."""
        with self._read() as session:
            count: int = session.scalars(queries.request_count(where or RequestFilter())).one()
            return count

    def get_artifact(self, artifact_id: int) -> Artifact:
        """A stored artifact's record."""
        with self._read() as session:
            return from_row(Artifact, _artifact_row(session, artifact_id))

    def read_artifact(self, artifact_id: int) -> bytes:
        """An artifact's bytes, checked against its sha256 (text artifacts: their UTF-8 encoding).

        Raises ``BlobIntegrityError`` when the bytes are missing or no longer match.
        """
        with self._read() as session:
            row = _artifact_row(session, artifact_id)
            sha256: str = row.sha256
            text: str | None = row.text
        if text is not None:
            data: bytes = text.encode()
            if sha256_hex(data) != sha256:
                raise BlobIntegrityError(f"artifact {artifact_id}: inline text no longer hashes to {sha256}")
            return data
        try:
            data = self.blobs.get(sha256)
        except NotFoundError as missing:
            raise BlobIntegrityError(f"artifact {artifact_id}: its blob is missing ({missing})") from None
        return data

    def add_feedback(self, feedback: FeedbackInput) -> Feedback:
        """Record a person's rating of an artifact (``NotFoundError`` if there is no such artifact)."""
        with self._write.begin() as session:
            _artifact_row(session, feedback.artifact_id)
            row = FeedbackRow(
                artifact_id=feedback.artifact_id,
                rating=feedback.rating,
                label=feedback.label,
                comment=feedback.comment,
                author=feedback.author,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            return from_row(Feedback, row)

    def list_feedback(self, artifact_id: int | None = None) -> list[Feedback]:
        """Feedback, oldest first; only one artifact's when ``artifact_id`` is given."""
        with self._read() as session:
            return [from_row(Feedback, row) for row in session.scalars(queries.feedback_rows(artifact_id))]

    def record_plugin_error(
        self, plugin: str, stage: str, error_type: str, message: str, traceback: str
    ) -> PluginErrorRecord:
        """Record that ``plugin`` failed at ``stage`` (``generator NAME: factory``, ``…: generate``,
        ``evaluator NAME: evaluate``). Over-long names are cut to fit: recording a failure must not fail."""
        row = PluginErrorRow(
            plugin=_fit(plugin, PluginErrorRow.plugin),
            stage=_fit(stage, PluginErrorRow.stage),
            error_type=_fit(error_type, PluginErrorRow.error_type),
            message=message,
            traceback=traceback,
            created_at=utc_now(),
        )
        with self._write.begin() as session:
            session.add(row)
            session.flush()
            return from_row(PluginErrorRecord, row)

    def list_plugin_errors(self, limit: int = DEFAULT_PAGE_SIZE) -> list[PluginErrorRecord]:
        """The most recent plugin errors first."""
        _check_page(limit, 0)
        with self._read() as session:
            return [
                from_row(PluginErrorRecord, row)
                for row in session.scalars(queries.newest_plugin_errors(limit))
            ]

    def record_models(self, models: Iterable[LoadedModel]) -> None:
        """Note that these model files were used now, adding any execution provider not seen before."""
        providers_by_key: dict[tuple[str, str, str, str], list[str]] = {}
        opsets: dict[tuple[str, str, str, str], int | None] = {}
        for model in models:
            seen = providers_by_key.setdefault(model_key(model), [])
            seen.extend(p for p in model.providers if p not in seen)
            opsets[model_key(model)] = model.opset
        if not providers_by_key:
            return
        now = utc_now()
        with self._write.begin() as session:
            for key, providers in providers_by_key.items():
                _upsert_model(session, key, opsets[key], providers, now)

    def list_models(self) -> list[ModelRecord]:
        """Every model file recorded, by name, version and file."""
        with self._read() as session:
            return [from_row(ModelRecord, row) for row in session.scalars(queries.models_by_name())]

    def collect_orphan_blobs(self, min_age_s: float, *, dry_run: bool = False) -> list[str]:
        """Delete the blobs no artifact refers to that were last written ``min_age_s`` or more ago.

        A crash between writing a request's blobs and committing its rows leaves such blobs. The
        age limit spares blobs whose request is being committed right now; rewriting an existing
        blob refreshes its age (local stores), so bytes needed again are not collected. Returns
        the hashes deleted (or, with ``dry_run``, that would be).
        """
        with self._read() as session:
            referenced = set(session.scalars(queries.blob_hashes()))
        collected = []
        for sha256 in self.blobs.iter_hashes():
            age = self.blobs.age_s(sha256)
            if sha256 in referenced or age is None or age < min_age_s:
                continue
            if not dry_run:
                self.blobs.delete(sha256)
            collected.append(sha256)
        return collected

    def export_records(self, where: GenerationFilter | None = None) -> Iterator[dict[str, Any]]:
        """One JSON-able dict per generation matching ``where`` (all when None), oldest first, read
        a page at a time.

        Each holds the sample's provenance (generator, model sha256, prompt, options, seed, key),
        outcome (status, score, reasons, timings), request settings, artifacts (sha256, media
        type, uri or text, metadata, feedback) and evaluations. No transaction stays open
        between pages, so a slow consumer holds no locks.
        """
        after_id = 0
        while True:
            statement = queries.generations_for_export(
                where or GenerationFilter(), after_id=after_id, limit=EXPORT_PAGE_SIZE
            )
            with self._read() as session:
                rows = session.scalars(statement).all()
                page = [export_record(row) for row in rows]
            yield from page
            if len(rows) < EXPORT_PAGE_SIZE:
                return
            after_id = rows[-1].id

    def export_dataset(
        self,
        *,
        generator: str | None = None,
        min_rating: float = DEFAULT_MIN_RATING,
        require_rating: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Fine-tuning examples (``{"prompt", "completion", ...}``, see ``aigc.storage.dataset``) from
        accepted text generations, oldest first, leaving out those rated below ``min_rating`` (on
        [0, 1]) and, if ``require_rating``, those nobody rated."""
        if not 0 <= min_rating <= 1:
            raise ValueError(f"min_rating must be between 0 and 1, got {min_rating}")
        records = self.export_records(GenerationFilter(status="accepted", generator=generator))
        return dataset_examples(records, min_rating, require_rating)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")


def _fit(value: str, column: InstrumentedAttribute[str]) -> str:
    length = column.property.columns[0].type.length
    return value if length is None or len(value) <= length else value[: length - 1] + "…"


def _artifact_row(session: Session, artifact_id: int) -> ArtifactRow:
    row = session.get(ArtifactRow, artifact_id)
    if row is None:
        raise NotFoundError(f"artifact {artifact_id} not found")
    return row


def _upsert_model(
    session: Session,
    key: tuple[str, str, str, str],
    opset: int | None,
    providers: list[str],
    now: datetime,
) -> None:
    row = session.scalars(queries.model_row_for_update(*key)).one_or_none()
    if row is None:
        name, version, file, sha256 = key
        try:
            with session.begin_nested():
                session.add(
                    ModelRow(
                        name=name,
                        version=version,
                        file=file,
                        sha256=sha256,
                        opset=opset,
                        providers=providers,
                        first_seen=now,
                        last_used=now,
                    )
                )
            return
        except IntegrityError:
            # Another process inserted it between our SELECT and INSERT (possible on PostgreSQL;
            # SQLite's immediate transactions serialise writers): update theirs instead.
            row = session.scalars(queries.model_row_for_update(*key)).one()
    row.providers = row.providers + [p for p in providers if p not in row.providers]
    row.last_used = now
    if row.opset is None:
        row.opset = opset
