"""service accounts and case-management references

Other systems call the API with a service account's token; plans and reviews keep the
case-management system's id for them, so that sending one twice changes nothing; the audit
trail names the service account that made a call.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import viewpoint.models.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = viewpoint.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=16), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("team_ids", JSON, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("revoked_at", MOMENT, nullable=True),
        sa.Column("calls_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("last_used_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"],
                                name=op.f("fk_service_account_created_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_account")),
        sa.UniqueConstraint("name", name=op.f("uq_service_account_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_service_account_token_hash")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_service_account_id_service_account"),
            "service_account", ["service_account_id"], ["id"])
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_plan_reference"), ["reference"])
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_review_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_review_reference"), type_="unique")
        batch_op.drop_column("reference")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_plan_reference"), type_="unique")
        batch_op.drop_column("reference")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_event_service_account_id_service_account"), type_="foreignkey")
        batch_op.drop_column("service_account_id")
    op.drop_table("service_account")
