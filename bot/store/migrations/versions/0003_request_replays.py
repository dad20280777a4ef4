"""request replays: the signed Slack requests and Events API events of the last few minutes, shared by replicas so
that a replay or a retry reaching another replica is not run twice

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_replays",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("request_replays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_replays_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request_replays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_replays_seen_at"))

    op.drop_table("request_replays")
