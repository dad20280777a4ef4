"""alert flapping: each alert's last 21 state samples (while they disagree) and whether it flaps

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flap_history", sa.String(length=21), nullable=True))
        batch_op.add_column(sa.Column("flapping", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("flapping")
        batch_op.drop_column("flap_history")
