"""Children, their plans, and the reviews of those plans."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow
from .staff import Team, User


class Gender(LabelledEnum):
    GIRL = "girl"
    BOY = "boy"
    ANOTHER = "another"
    NOT_RECORDED = "not_recorded"

    __labels__ = {
        "girl": _l("Girl or young woman"),
        "boy": _l("Boy or young man"),
        "another": _l("Another gender"),
        "not_recorded": _l("Not recorded"),
    }


class EthnicityGroup(LabelledEnum):
    """The high-level groups used in national children's social care returns."""

    WHITE = "white"
    MIXED = "mixed"
    ASIAN = "asian"
    BLACK = "black"
    OTHER = "other"
    NOT_RECORDED = "not_recorded"

    __labels__ = {
        "white": _l("White"),
        "mixed": _l("Mixed or multiple"),
        "asian": _l("Asian or Asian British"),
        "black": _l("Black or Black British"),
        "other": _l("Other ethnic group"),
        "not_recorded": _l("Not recorded"),
    }


class PlanKind(LabelledEnum):
    CHILD_IN_NEED = "child_in_need"
    CHILD_PROTECTION = "child_protection"
    CARE_PLAN = "care_plan"
    PATHWAY_PLAN = "pathway_plan"

    __labels__ = {
        "child_in_need": _l("Child in need plan"),
        "child_protection": _l("Child protection plan"),
        "care_plan": _l("Care plan (looked-after child)"),
        "pathway_plan": _l("Pathway plan (care leaver)"),
    }
    #: The same inside a sentence ("A care plan needs a placement type").
    __phrases__ = {
        "child_in_need": _l("child in need plan"),
        "child_protection": _l("child protection plan"),
        "care_plan": _l("care plan"),
        "pathway_plan": _l("pathway plan"),
    }

    @property
    def phrase(self) -> str:
        """The kind of plan in lower case, for the middle of a sentence."""
        return str(type(self).__phrases__[self.value])


class PlacementType(LabelledEnum):
    """Where a child in care or a care leaver lives."""

    FOSTER = "foster"
    KINSHIP = "kinship"
    RESIDENTIAL = "residential"
    PLACED_WITH_PARENTS = "placed_with_parents"
    SEMI_INDEPENDENT = "semi_independent"
    SECURE = "secure"
    OTHER = "other"

    __labels__ = {
        "foster": _l("Foster care"),
        "kinship": _l("Kinship care (family and friends)"),
        "residential": _l("Children's home"),
        "placed_with_parents": _l("Placed with parents"),
        "semi_independent": _l("Semi-independent or supported lodgings"),
        "secure": _l("Secure"),
        "other": _l("Other"),
    }


#: Plans that record where the child lives.
PLANS_WITH_PLACEMENT = frozenset({PlanKind.CARE_PLAN, PlanKind.PATHWAY_PLAN})


class Child(Base):
    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The child's id in the council's case-management system.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    #: The name the child uses; shown to the child on the welcome page.
    first_name: Mapped[str] = mapped_column(String(80))
    #: Family name; staff pages only.
    last_name: Mapped[str] = mapped_column(String(80))
    #: Decides the age band unless a worker chooses one.
    date_of_birth: Mapped[date]
    #: For dashboard breakdowns only.
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"))
    #: For dashboard breakdowns only.
    ethnicity_group: Mapped[EthnicityGroup] = mapped_column(
        enum_column(EthnicityGroup, "ethnicity_group"))
    #: BCP 47 code of the language the child prefers to answer in ("en", "ur", "ckb").
    preferred_language: Mapped[str] = mapped_column(String(16), default="en")
    #: The team responsible for the child.
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    #: The child's allocated social worker (or personal adviser), if any.
    social_worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: When the record was created here.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A random number from 0 to 255, never shown: the dashboards add up the keys of the
    #: children in each figure to decide how that figure is rounded (the cell key method,
    #: see ``published/disclosure.py``), so nobody can predict it.
    record_key: Mapped[int] = mapped_column(SmallInteger, default=lambda: secrets.randbelow(256))

    team: Mapped[Team] = relationship()
    social_worker: Mapped[User | None] = relationship()
    plans: Mapped[list[Plan]] = relationship(back_populates="child", order_by="Plan.started_on")

    def age_on(self, day: date) -> int:
        """Whole years of age on ``day``."""
        birthday_passed = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if birthday_passed else 1)

    def __repr__(self) -> str:
        return f"<Child {self.id} {self.reference}>"


class Plan(Base):
    """A plan the council holds for a child: what the child's answers are gathered for."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        Index("ix_plan_child_started", "child_id", "started_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The plan's id in the council's case-management system, if it was sent one (the API
    #: finds the plan again by it).
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: Whose plan this is.
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    #: Child in need, child protection, care plan or pathway plan.
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind, "plan_kind"), index=True)
    #: Where the child lives, for care plans and pathway plans.
    placement_type: Mapped[PlacementType | None] = mapped_column(
        enum_column(PlacementType, "placement_type"))
    #: The day the plan began.
    started_on: Mapped[date]
    #: The day the plan ended; empty while it is open.
    ended_on: Mapped[date | None]

    child: Mapped[Child] = relationship(back_populates="plans")
    reviews: Mapped[list[Review]] = relationship(back_populates="plan", order_by="Review.due_on")

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.kind.value}>"


class Review(Base):
    """A review of a plan (LAC review, CP review conference, CIN review, pathway review)."""

    __tablename__ = "review"
    __table_args__ = (Index("ix_review_plan_due", "plan_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The review's id in the council's case-management system, if it was sent one.
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The plan under review.
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    #: The date the review must be held by.
    due_on: Mapped[date] = mapped_column(index=True)
    #: The date it was held; empty until then.
    held_on: Mapped[date | None] = mapped_column(index=True)
    #: Who chairs it: the IRO for a looked-after child's review, the conference chair for CP.
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)

    plan: Mapped[Plan] = relationship(back_populates="reviews")
    chair: Mapped[User | None] = relationship()

    @property
    def open_for_views(self) -> bool:
        """Whether the child can still be asked for their views for this review: it has not
        been held and its plan has not ended."""
        return self.held_on is None and self.plan.is_open

    def __repr__(self) -> str:
        return f"<Review {self.id} due {self.due_on}>"
