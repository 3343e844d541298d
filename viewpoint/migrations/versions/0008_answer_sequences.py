"""answer sequences

The newest save of each question by the device's own sequence, so that a late retry of an
older save never replaces a newer answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_sequence",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"],
                                name=op.f("fk_answer_sequence_response_id_response"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "question_key", name=op.f("pk_answer_sequence")),
    )


def downgrade() -> None:
    op.drop_table("answer_sequence")
