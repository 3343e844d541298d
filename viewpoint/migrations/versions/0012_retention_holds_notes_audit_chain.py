"""retention, legal holds, notes on answers and the audit chain

The council's retention schedule (where it differs from the defaults) and legal holds;
notes a manager adds beside a child's answer (the answer is never changed); and the audit
log's hash chain: each row gets its place and the hash of the row before it, the rows
already there chained in the order they were written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import viewpoint.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("pruned_through_seq", sa.BigInteger(), nullable=False),
        sa.Column("pruned_through_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.create_table(
        "retention_rule",
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("counted_from", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["staff_user.id"], name=op.f("fk_retention_rule_set_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("record_type", "plan_kind", name=op.f("pk_retention_rule")),
    )
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_legal_hold_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"], ["staff_user.id"], name=op.f("fk_legal_hold_lifted_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["staff_user.id"], name=op.f("fk_legal_hold_placed_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.create_index("ix_legal_hold_child_lifted", ["child_id", "lifted_at"], unique=False)

    op.create_table(
        "answer_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_answer_note_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["staff_user.id"],
            name=op.f("fk_answer_note_written_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_note")),
    )
    with op.batch_alter_table("answer_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_note_response_id"), ["response_id"], unique=False
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_chain_seq"), ["chain_seq"])
    _chain_existing_rows()


def _chain_existing_rows() -> None:
    """Chain the rows already written, oldest first, in batches."""
    from sqlalchemy.orm import Session

    from viewpoint.models.audit import GENESIS, AuditEvent, link_hash

    connection = op.get_bind()
    table = AuditEvent.__table__
    seq, previous, after = 0, GENESIS, 0
    with Session(bind=connection) as session:
        while True:
            rows = list(
                session.scalars(
                    sa.select(AuditEvent)
                    .where(AuditEvent.id > after)
                    .order_by(AuditEvent.id)
                    .limit(1000)
                )
            )
            if not rows:
                break
            for row in rows:
                seq += 1
                digest = link_hash(previous, row, seq)
                connection.execute(
                    sa.update(table)
                    .where(table.c.id == row.id)
                    .values(chain_seq=seq, prev_hash=previous, row_hash=digest)
                )
                previous, after = digest, row.id
            session.expunge_all()
    connection.execute(
        sa.text(
            "INSERT INTO audit_chain (id, seq, head_hash, pruned_through_seq, pruned_through_hash)"
            " VALUES (1, :seq, :head, 0, :genesis)"
        ),
        {"seq": seq, "head": previous, "genesis": GENESIS},
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_chain_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")

    with op.batch_alter_table("answer_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_note_response_id"))

    op.drop_table("answer_note")
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_hold_child_lifted")

    op.drop_table("legal_hold")
    op.drop_table("retention_rule")
    op.drop_table("audit_chain")
