"""Versions of registered models: lineage (parent, dataset, method, hyperparameters, seed, files) and
the share of a model's traffic each version receives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from aigc.core.errors import NotFoundError
from aigc.core.validation import invalid
from aigc.storage.models import ModelVersionRow, utc_now


class NewModelVersion(BaseModel):
    """A version to record: where it came from and what it is made of."""

    model: str
    version: str
    parent: str
    parent_sha256: str
    dataset_sha256: str
    method: str
    hyperparameters: dict[str, Any]
    seed: int
    path: str
    files: dict[str, str]
    sha256: str


class ModelVersion(NewModelVersion):
    """A stored version."""

    model_config = ConfigDict(frozen=True)

    id: int
    traffic_share: float
    created_at: datetime

    @property
    def reference(self) -> str:
        """How requests name it: ``model@version``."""
        return f"{self.model}@{self.version}"


def _version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion.model_validate(row, from_attributes=True)


class ModelVersionStore:
    """Model versions in the database of ``engine`` (the ``Store``'s engine, migrated already)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, new: NewModelVersion) -> ModelVersion:
        """Record ``new``; recording the same files again returns the stored version unchanged, other
        files under a stored ``model@version`` are refused (field ``version``)."""
        with self._sessions.begin() as session:
            row = session.scalars(_named(new.model, new.version)).one_or_none()
            if row is not None:
                if row.sha256 != new.sha256:
                    raise invalid(
                        "version",
                        new.version,
                        f"{new.model}@{new.version} is already recorded with other files "
                        f"(sha256 {row.sha256}); choose another version",
                    )
                return _version(row)
            row = ModelVersionRow(**new.model_dump(), traffic_share=0.0, created_at=utc_now())
            session.add(row)
            session.flush()
            return _version(row)

    def get(self, model: str, version: str) -> ModelVersion:
        """The version ``model@version``; ``NotFoundError`` if it is not recorded."""
        with self._sessions() as session:
            row = session.scalars(_named(model, version)).one_or_none()
            if row is None:
                raise NotFoundError(f"model version {model}@{version} not found")
            return _version(row)

    def routes(self, model: str) -> list[tuple[str, float]]:
        """``(version, share)`` of each version of ``model`` that receives traffic, by version name."""
        statement = (
            sa.select(ModelVersionRow.version, ModelVersionRow.traffic_share)
            .where(ModelVersionRow.model == model, ModelVersionRow.traffic_share > 0)
            .order_by(ModelVersionRow.version)
        )
        with self._sessions() as session:
            return [(version, share) for version, share in session.execute(statement)]

    def list(self, model: str | None = None) -> list[ModelVersion]:
        """Every version (of ``model`` if given), oldest first."""
        statement = sa.select(ModelVersionRow).order_by(ModelVersionRow.id)
        if model is not None:
            statement = statement.where(ModelVersionRow.model == model)
        with self._sessions() as session:
            return [_version(row) for row in session.scalars(statement)]

    def set_share(self, model: str, version: str, share: float) -> ModelVersion:
        """Route ``share`` (0..1) of the traffic of ``model`` to ``version``; ``InvalidRequestError``
        (field ``share``) when the shares of the model's versions would add up to more than 1."""
        if not 0 <= share <= 1:
            raise invalid("share", share, "must be between 0 and 1")
        with self._sessions.begin() as session:
            row = session.scalars(_named(model, version)).one_or_none()
            if row is None:
                raise NotFoundError(f"model version {model}@{version} not found")
            total = sa.select(sa.func.sum(ModelVersionRow.traffic_share)).where(
                ModelVersionRow.model == model, ModelVersionRow.id != row.id
            )
            others = float(session.execute(total).scalar() or 0.0)
            if others + share > 1 + 1e-9:
                raise invalid(
                    "share",
                    share,
                    f"the other versions of {model} already receive {others:g} of its traffic: "
                    f"at most {1 - others:g} is left",
                )
            row.traffic_share = share
            return _version(row)


def _named(model: str, version: str) -> sa.Select[ModelVersionRow]:
    return sa.select(ModelVersionRow).where(
        ModelVersionRow.model == model, ModelVersionRow.version == version
    )
