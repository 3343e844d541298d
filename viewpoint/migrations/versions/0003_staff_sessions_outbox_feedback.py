"""staff sessions outbox feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import viewpoint.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_session_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index("ix_staff_session_user_open", ["user_id", "ended_at"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_feedback_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_feedback_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"], ["staff_user.id"], name=op.f("fk_feedback_written_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_child_written", ["child_id", "written_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_response_id"), ["response_id"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_outbox_message_alert_id_alert"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_message_pending", ["sent_at", "next_attempt_at"], unique=False
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "acknowledge_by", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "overdue_notified_at",
                viewpoint.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_alert_acknowledge_by"), ["acknowledge_by"], unique=False
        )
    # Alerts raised before this revision: due a day after they were raised.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE alert SET acknowledge_by = datetime(raised_at, '+1 day')")
    else:
        op.execute("UPDATE alert SET acknowledge_by = raised_at + interval '1 day'")

    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_invitation_request_key"), ["request_key"])


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitation_request_key"), type_="unique")
        batch_op.drop_column("request_key")

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_acknowledge_by"))
        batch_op.drop_column("overdue_notified_at")
        batch_op.drop_column("acknowledge_by")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_pending")
        batch_op.drop_index(batch_op.f("ix_outbox_message_alert_id"))

    op.drop_table("outbox_message")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_response_id"))
        batch_op.drop_index("ix_feedback_child_written")

    op.drop_table("feedback")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_session_user_open")

    op.drop_table("staff_session")
