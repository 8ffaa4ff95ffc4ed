"""Rate limits kept in the database, so that every server process sharing it draws from the same
token buckets.

A bucket holds ``burst`` tokens and refills at ``rate`` per second. It is stored as the time it
will be full again (``full_at``; the generic cell rate algorithm): taking ``cost`` tokens moves
that time ``cost / rate`` later, allowed while it stays within ``burst / rate`` of now. One
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` decides and takes, so concurrent processes never
both spend the last token. Times are the callers' clocks (seconds since the epoch): processes on
several machines need synchronised clocks. The clock is read once the bucket is this
transaction's to move (SQLite: ``BEGIN IMMEDIATE`` took the write lock; PostgreSQL: ``SELECT …
FOR UPDATE`` locked its row): a time read before waiting for the lock would be older than the
buckets that other takers moved meanwhile, and refuse what is due.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from aigc.storage.models import RateLimitRow
from aigc.storage.store import Store


def take_tokens(
    store: Store, bucket: str, key: str, rate: float, burst: int, cost: float, clock: Callable[[], float]
) -> float:
    """Take ``cost`` tokens from the bucket of ``key``: 0 when granted, else the seconds until they
    are available (nothing is taken then). ``clock`` gives the time (``time.time``)."""
    with store._transaction() as session:
        session.execute(
            sa.select(RateLimitRow.full_at)
            .where(RateLimitRow.bucket == bucket, RateLimitRow.key == key)
            .with_for_update()
        )
        now = clock()
        full_at, granted = session.execute(_take(store, bucket, key, rate, burst, cost, now)).one()
    return 0.0 if granted else max(full_at, now) + (cost - burst) / rate - now


def _take(store: Store, bucket: str, key: str, rate: float, burst: int, cost: float, now: float) -> Any:
    """The statement that takes ``cost`` tokens at ``now`` if the bucket has them, returning the
    bucket's ``full_at`` and whether it did."""
    table = RateLimitRow.__table__
    full = table.c.full_at
    start = sa.case((full > now, full), else_=now)
    admitted = start + cost / rate <= now + burst / rate
    first_granted = cost <= burst
    insert: Any = postgresql.insert if store.engine.dialect.name == "postgresql" else sqlite.insert
    return (
        insert(table)
        .values(
            bucket=bucket, key=key, full_at=now + cost / rate if first_granted else now, granted=first_granted
        )
        .on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.key],
            set_={"full_at": sa.case((admitted, start + cost / rate), else_=full), "granted": admitted},
        )
        .returning(full, table.c.granted)
    )


def wait_for_token(store: Store, bucket: str, key: str, rate: float, burst: int, now: float) -> float:
    """The seconds until the bucket of ``key`` has a token (0: now), taking none."""
    with store._session() as session:
        full_at = session.scalar(
            sa.select(RateLimitRow.full_at).where(RateLimitRow.bucket == bucket, RateLimitRow.key == key)
        )
    if full_at is None:
        return 0.0
    return max(0.0, max(full_at, now) + (1 - burst) / rate - now)


def forget_full_buckets(store: Store, now: float) -> int:
    """Delete buckets that are full by ``now`` (the same as no row); returns how many."""
    with store._transaction() as session:
        result = session.execute(sa.delete(RateLimitRow).where(RateLimitRow.full_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]
