"""scheduled undos: the calls runbook actions leave for Boltwatch to make by itself later (the end of a pause of
an alarm's actions), kept so that a restart does not lose them

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_undos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("resource", sa.String(length=512), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=60), nullable=False),
        sa.Column("requester", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["action_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scheduled_undos", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_undos_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_scheduled_undos_resource", ["action", "resource", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduled_undos_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_undos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_undos_run_id"))
        batch_op.drop_index("ix_scheduled_undos_resource")
        batch_op.drop_index("ix_scheduled_undos_due")
    op.drop_table("scheduled_undos")
