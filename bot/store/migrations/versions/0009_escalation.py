"""escalation and on-call: where each unacknowledged incident's escalation stands, on-call overrides, and who
each schedule last had on call

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-19 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps_taken", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("paged", sa.JSON(), nullable=False),
        sa.Column("stopped_by", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_due", ["status", "next_at"], unique=False)
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=60), nullable=False),
        sa.Column("user", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index("ix_oncall_overrides_schedule", ["schedule", "ends_at"], unique=False)
    op.create_table(
        "oncall_handoffs",
        sa.Column("schedule", sa.String(length=60), nullable=False),
        sa.Column("user", sa.String(length=40), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("schedule"),
    )


def downgrade() -> None:
    op.drop_table("oncall_handoffs")
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_overrides_schedule")
    op.drop_table("oncall_overrides")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_due")
    op.drop_table("escalations")
