"""check cycle time: how long each check's last run over its targets took, to tell when it cannot keep its interval

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-20 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_health", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_run_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_health", schema=None) as batch_op:
        batch_op.drop_column("last_run_seconds")
