"""check targets: per (check, account, region) the tick last recorded and its failures in a row

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-20 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_targets",
        sa.Column("check_name", sa.String(length=200), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("tick", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("findings_firing", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("check_name", "account", "region"),
    )


def downgrade() -> None:
    op.drop_table("check_targets")
