"""runbook actions: their runs (for cooldowns, one running action per resource, and the verifying wait job), and
wait jobs whose message is a reply in a thread

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wait_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_ts", sa.String(length=40), nullable=True))
    op.create_table(
        "action_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("resource", sa.String(length=512), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("wait_job_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["wait_job_id"], ["wait_jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_runs_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_runs_wait_job_id"), ["wait_job_id"], unique=False)
        batch_op.create_index("ix_action_runs_resource", ["resource", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_action_runs_resource")
        batch_op.drop_index(batch_op.f("ix_action_runs_wait_job_id"))
        batch_op.drop_index(batch_op.f("ix_action_runs_incident_id"))
    op.drop_table("action_runs")
    with op.batch_alter_table("wait_jobs", schema=None) as batch_op:
        batch_op.drop_column("thread_ts")
