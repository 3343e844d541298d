"""when answers were given

When the child gave an answer (and so raised an alert) that reached the server well
after, because the tablet was offline.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import viewpoint.models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("answer", "alert"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("given_at",
                                          viewpoint.models.base.UTCDateTime(timezone=True),
                                          nullable=True))


def downgrade() -> None:
    for table in ("alert", "answer"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("given_at")
