"""Set-level evaluations: one row per metric of a set-level evaluator, per request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:38:03.904298
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "set_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("evaluator", sa.String(length=64), nullable=False),
        sa.Column("evaluator_version", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=96), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_set_evaluations_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_evaluations")),
    )
    with op.batch_alter_table("set_evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_set_evaluations_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("set_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_set_evaluations_request_id"))

    op.drop_table("set_evaluations")
