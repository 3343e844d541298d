"""cell keys and published releases

Every child gets a random record key; the dashboards' totals keep the sums of the keys of
the children they count, and a period's protected figures are stored once, when it is
published. Indicator totals counted before this version have key sums of 0: run
``viewpoint dashboards rebuild`` after upgrading to count them again with their keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import viewpoint.models.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The columns added to existing tables (all NOT NULL, 0 until filled).
_KEYS = {
    "child": ("record_key",),
    "dashboard_entry": ("record_key",),
    "review_coverage": ("record_key",),
    "indicator_total": ("positive_key", "not_positive_key", "declined_key", "skipped_key"),
    "coverage_total": ("views_before_key", "asked_no_views_key", "not_asked_key"),
}
_STATUSES = ("views_before", "asked_no_views", "not_asked")


def upgrade() -> None:
    op.create_table(
        "published_coverage",
        sa.Column("quarter_start", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("views_before", sa.Integer(), nullable=False),
        sa.Column("asked_no_views", sa.Integer(), nullable=False),
        sa.Column("not_asked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter_start", "team_id", "plan_kind",
                                name=op.f("pk_published_coverage")),
    )
    op.create_table(
        "published_indicator",
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("plan_kind", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("not_positive", sa.Integer(), nullable=False),
        sa.Column("declined_or_skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period_kind", "period_start", "indicator", "plan_kind",
                                "dimension", "value", name=op.f("pk_published_indicator")),
    )
    op.create_table(
        "release",
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("published_at", viewpoint.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("period_kind", "period_start", name=op.f("pk_release")),
    )
    for table, columns in _KEYS.items():
        kind = sa.SmallInteger if columns == ("record_key",) else sa.BigInteger
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, kind(), nullable=False, server_default="0"))

    # Existing children get their random keys here; entries and reviews already counted take
    # their child's key, and the coverage totals' key sums follow from them.
    random_key = ("CAST(floor(random() * 256) AS INTEGER)"
                  if op.get_bind().dialect.name == "postgresql" else "abs(random()) % 256")
    op.execute(f"UPDATE child SET record_key = {random_key}")  # noqa: S608 (constants only)
    op.execute("UPDATE dashboard_entry SET record_key = (SELECT record_key FROM child "
               "WHERE child.id = dashboard_entry.child_id)")
    op.execute("UPDATE review_coverage SET record_key = (SELECT child.record_key FROM review "
               "JOIN plan ON plan.id = review.plan_id JOIN child ON child.id = plan.child_id "
               "WHERE review.id = review_coverage.review_id)")
    for status in _STATUSES:
        op.execute(
            f"UPDATE coverage_total SET {status}_key = (SELECT coalesce(sum(record_key), 0) "  # noqa: S608
            "FROM review_coverage AS counted "
            "WHERE counted.quarter_start = coverage_total.quarter_start "
            "AND counted.team_id = coverage_total.team_id "
            f"AND counted.plan_kind = coverage_total.plan_kind AND counted.status = '{status}')")

    # The models give these columns their values; no default is left in the schema.
    for table, columns in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    for table, columns in _KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
    op.drop_table("release")
    op.drop_table("published_indicator")
    op.drop_table("published_coverage")
