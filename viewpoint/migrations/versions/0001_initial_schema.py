"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import viewpoint.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sa.String(length=64), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_version")),
        sa.UniqueConstraint("digest", name=op.f("uq_questionnaire_version_digest")),
    )
    with op.batch_alter_table("questionnaire_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_questionnaire_version_key_band_language",
            ["questionnaire_key", "band", "language"],
            unique=False,
        )

    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "social_worker",
                "team_manager",
                "reviewing_officer",
                "panel_member",
                "administrator",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_staff_user_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_user_team_id"), ["team_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_audit_event_actor_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            "ix_audit_event_actor_occurred", ["actor_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_event_child_occurred", ["child_id", "occurred_at"], unique=False
        )

    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum(
                "girl",
                "boy",
                "another",
                "not_recorded",
                name="gender",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "ethnicity_group",
            sa.Enum(
                "white",
                "mixed",
                "asian",
                "black",
                "other",
                "not_recorded",
                name="ethnicity_group",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("preferred_language", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("social_worker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["social_worker_id"],
            ["staff_user.id"],
            name=op.f("fk_child_social_worker_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_child_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
        sa.UniqueConstraint("reference", name=op.f("uq_child_reference")),
    )
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_child_social_worker_id"), ["social_worker_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_child_team_id"), ["team_id"], unique=False)

    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "child_in_need",
                "child_protection",
                "care_plan",
                "pathway_plan",
                name="plan_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "placement_type",
            sa.Enum(
                "foster",
                "kinship",
                "residential",
                "placed_with_parents",
                "semi_independent",
                "secure",
                "other",
                name="placement_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_plan_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_plan_child_id_child"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index("ix_plan_child_started", ["child_id", "started_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_kind"), ["kind"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["staff_user.id"], name=op.f("fk_review_chair_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_review_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_chair_id"), ["chair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_held_on"), ["held_on"], unique=False)
        batch_op.create_index("ix_review_plan_due", ["plan_id", "due_on"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sa.String(length=64), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "issued",
                "started",
                "submitted",
                "cancelled",
                name="invitation_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.id"],
            name=op.f("fk_invitation_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["staff_user.id"], name=op.f("fk_invitation_issued_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_invitation_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitation_code_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_child_issued", ["child_id", "issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitation_issued_by_id"), ["issued_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitation_review_id"), ["review_id"], unique=False)

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sa.String(length=64), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column(
            "helped_by",
            sa.Enum(
                "nobody",
                "carer",
                "worker",
                "someone_else",
                name="helped_by",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("started_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_response_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_response_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_response_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_version_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_response_questionnaire_version_id_questionnaire_version"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_response_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_response_invitation_id")),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index("ix_response_child_started", ["child_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_response_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_response_questionnaire_version_id"),
            ["questionnaire_version_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_response_review_id"), ["review_id"], unique=False)
        batch_op.create_index(
            "ix_response_submitted_questionnaire",
            ["submitted_at", "questionnaire_key"],
            unique=False,
        )

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("question_key", sa.String(length=64), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "answer",
                "talk_to_someone",
                name="alert_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("raised_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "acknowledged_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("action_taken", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "closed_at IS NULL OR (action_taken IS NOT NULL AND action_taken <> '')",
            name=op.f("ck_alert_closed_with_action"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["staff_user.id"],
            name=op.f("fk_alert_acknowledged_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_alert_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["staff_user.id"], name=op.f("fk_alert_closed_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_alert_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_child_raised", ["child_id", "raised_at"], unique=False)
        batch_op.create_index("ix_alert_open", ["closed_at", "raised_at"], unique=False)
        batch_op.create_index(
            "uq_alert_response_question_source",
            ["response_id", "question_key", "source"],
            unique=True,
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("declined", sa.Boolean(), nullable=False),
        sa.Column("client_save_id", sa.String(length=64), nullable=True),
        sa.Column("saved_at", viewpoint.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_answer_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(
            "uq_answer_response_question", ["response_id", "question_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("uq_answer_response_question")

    op.drop_table("answer")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("uq_alert_response_question_source")
        batch_op.drop_index("ix_alert_open")
        batch_op.drop_index("ix_alert_child_raised")

    op.drop_table("alert")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_submitted_questionnaire")
        batch_op.drop_index(batch_op.f("ix_response_review_id"))
        batch_op.drop_index(batch_op.f("ix_response_questionnaire_version_id"))
        batch_op.drop_index(batch_op.f("ix_response_plan_id"))
        batch_op.drop_index("ix_response_child_started")

    op.drop_table("response")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_review_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_issued_by_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_expires_at"))
        batch_op.drop_index("ix_invitation_child_issued")

    op.drop_table("invitation")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_plan_due")
        batch_op.drop_index(batch_op.f("ix_review_held_on"))
        batch_op.drop_index(batch_op.f("ix_review_due_on"))
        batch_op.drop_index(batch_op.f("ix_review_chair_id"))

    op.drop_table("review")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_kind"))
        batch_op.drop_index("ix_plan_child_started")

    op.drop_table("plan")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_team_id"))
        batch_op.drop_index(batch_op.f("ix_child_social_worker_id"))

    op.drop_table("child")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_child_occurred")
        batch_op.drop_index("ix_audit_event_actor_occurred")
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_user_team_id"))

    op.drop_table("staff_user")
    op.drop_table("team")
    with op.batch_alter_table("questionnaire_version", schema=None) as batch_op:
        batch_op.drop_index("ix_questionnaire_version_key_band_language")

    op.drop_table("questionnaire_version")
