"""inhibition and maintenance windows: the fingerprint of the firing alert that inhibits an alert; and maintenance
windows, the silences that announce themselves when made, when they start and when they end

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-20 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inhibited_by", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_alerts_inhibited_by", ["inhibited_by"], unique=False)
        # What a maintenance window mutes is read by its silence every few seconds while it lasts.
        batch_op.create_index("ix_alerts_silenced_by", ["silenced_by"], unique=False)
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("silence_id", sa.Integer(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["silence_id"], ["silences.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_maintenance_windows_ended", "maintenance_windows", ["ended_announced_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_maintenance_windows_ended", table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_silenced_by")
        batch_op.drop_index("ix_alerts_inhibited_by")
        batch_op.drop_column("inhibited_by")
