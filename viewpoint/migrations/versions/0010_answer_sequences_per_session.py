"""answer sequences per session

Sequences are compared only within one device's session: tablets' clocks need not agree.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answer_sequence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_sequence", schema=None) as batch_op:
        batch_op.drop_column("session")
