"""retention: index the outbox by incident, so that deleting a long-resolved incident's Slack items (and asking
whether an incident still has items to send) reads only that incident's rows

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-12 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_incident_id", "outbox", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_incident_id", table_name="outbox")
