"""retire check leases: checks run on the one replica holding the scheduler lock (or as Procrastinate jobs), so the
`leases` rows per check (and per digest, from older releases) are left-overs; Live Tail and retention leases stay

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

RETIRED_PREFIXES = ("check:", "digest:")
"""What runner.py named a check's lease (`check:<name>`) and, before digests claimed through their outbox row,
digest.py a digest's (`digest:<channel>:<project>`)."""


def upgrade() -> None:
    leases = sa.table("leases", sa.column("name", sa.String(200)))
    op.execute(sa.delete(leases).where(sa.or_(*(leases.c.name.startswith(p) for p in RETIRED_PREFIXES))))


def downgrade() -> None:
    """Nothing to put back: a lease row is a live claim, and older releases take theirs again on their next run."""
