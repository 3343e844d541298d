"""dashboard totals and shared feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import viewpoint.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_total",
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("views_before", sa.Integer(), nullable=False),
        sa.Column("asked_no_views", sa.Integer(), nullable=False),
        sa.Column("not_asked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "quarter_start", "team_id", "plan_kind", name=op.f("pk_coverage_total")
        ),
    )
    op.create_table(
        "indicator_total",
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("not_positive", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("scale_sum", sa.Integer(), nullable=False),
        sa.Column("scale_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period_kind",
            "period_start",
            "indicator",
            "plan_kind",
            "dimension",
            "value",
            name=op.f("pk_indicator_total"),
        ),
    )
    op.create_table(
        "review_coverage",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_review_coverage_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_coverage")),
    )
    op.create_table(
        "dashboard_entry",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("gender", sa.String(length=32), nullable=False),
        sa.Column("ethnicity_group", sa.String(length=32), nullable=False),
        sa.Column("placement", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("counted_in_quarter", sa.Boolean(), nullable=False),
        sa.Column("counted_in_year", sa.Boolean(), nullable=False),
        sa.Column(
            "outcomes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.id"],
            name=op.f("fk_dashboard_entry_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_dashboard_entry_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_dashboard_entry")),
    )
    with op.batch_alter_table("dashboard_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dashboard_entry_child_submitted", ["child_id", "submitted_on"], unique=False
        )

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("shared_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("shared_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_feedback_shared_at"), ["shared_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_shared_by_id_staff_user"),
            "staff_user",
            ["shared_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_shared_by_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_feedback_shared_at"))
        batch_op.drop_column("shared_at")
        batch_op.drop_column("shared_by_id")
        batch_op.drop_column("shared_text")

    with op.batch_alter_table("dashboard_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_dashboard_entry_child_submitted")

    op.drop_table("dashboard_entry")
    op.drop_table("review_coverage")
    op.drop_table("indicator_total")
    op.drop_table("coverage_total")
