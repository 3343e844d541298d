"""council questionnaires, their indicators and translations, and the author role

Questionnaire definitions become the council's data: versions (draft, published, retired)
of each questionnaire, indicators the council adds, and the translations of its own
questionnaires' words. Staff may now be questionnaire authors.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import viewpoint.models.base

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ROLES_BEFORE = (
    "social_worker",
    "team_manager",
    "reviewing_officer",
    "panel_member",
    "administrator",
)
ROLES_AFTER = (*ROLES_BEFORE, "author")


def _roles(values: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{value}'" for value in values) + ")"


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_definition",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_indicator_definition_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_indicator_definition")),
    )
    op.create_table(
        "questionnaire_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "retired",
                name="definition_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source", JSON, nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_questionnaire_definition_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["staff_user.id"],
            name=op.f("fk_questionnaire_definition_published_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_questionnaire_definition_updated_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_definition")),
        sa.UniqueConstraint(
            "questionnaire_key",
            "version",
            name=op.f("uq_questionnaire_definition_questionnaire_key_version"),
        ),
    )
    with op.batch_alter_table("questionnaire_definition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_definition_questionnaire_key"),
            ["questionnaire_key"],
            unique=False,
        )
        batch_op.create_index(
            "uq_questionnaire_definition_published",
            ["questionnaire_key"],
            unique=True,
            sqlite_where=sa.text("status = 'published'"),
            postgresql_where=sa.text("status = 'published'"),
        )

    op.create_table(
        "questionnaire_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("context", sa.String(length=200), nullable=False),
        sa.Column("english", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("approved_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["staff_user.id"],
            name=op.f("fk_questionnaire_text_approved_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_questionnaire_text_updated_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_text")),
        sa.UniqueConstraint(
            "questionnaire_key",
            "language",
            "context",
            "english",
            name=op.f("uq_questionnaire_text_questionnaire_key_language_context_english"),
        ),
    )
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_user_role"), type_="check")
        batch_op.create_check_constraint("role", _roles(ROLES_AFTER))


def downgrade() -> None:
    op.execute(
        "UPDATE staff_user SET is_active = false, role = 'panel_member' WHERE role = 'author'"
    )
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_user_role"), type_="check")
        batch_op.create_check_constraint("role", _roles(ROLES_BEFORE))
    op.drop_table("questionnaire_text")
    with op.batch_alter_table("questionnaire_definition", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_questionnaire_definition_published",
            sqlite_where=sa.text("status = 'published'"),
            postgresql_where=sa.text("status = 'published'"),
        )
        batch_op.drop_index(batch_op.f("ix_questionnaire_definition_questionnaire_key"))

    op.drop_table("questionnaire_definition")
    op.drop_table("indicator_definition")
