"""Children, their plans and the reviews of those plans: every rule a record must meet, written
once, and the named operations that add and change them.

The staff forms and the CSV import both check with the functions here, so they refuse the
same things in the same words. Each rule returns a translated sentence staff can read, or
None when the value is fine; ``check_child``, ``check_plan`` and ``check_review`` gather
them by field. A value given to those as None is not checked: the caller has none (an
empty cell that keeps what viewpoint holds, or one it has already reported as unreadable).

The operations check everything first and raise :class:`RecordProblems` with every problem
found, leaving the record as it was; otherwise they change it, flush and write the audit
trail. None of them commits: the request (or ``db.writing()``) does.

Many records at once (a CSV import) are checked with these same rules in ``imports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..i18n import CHILD_LANGUAGES, language_in_english
from ..models import (
    PLANS_WITH_PLACEMENT,
    Child,
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Review,
    Role,
    User,
)

#: The longest reference (the ``child.reference`` column).
REFERENCE_MAX = 40
#: The longest first or last name (the ``child`` name columns).
NAME_MAX = 80
#: What case-management systems use for ids; a space or other mark is a typing mistake.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]*")
#: viewpoint's oldest users are care leavers in their twenties: a year of birth before this
#: is a typing mistake (1919 for 2019), not a child.
EARLIEST_BIRTH_YEAR = 1990

#: Field name -> translated sentences about it.
Problems = dict[str, list[str]]


class RecordProblems(ValueError):
    """A child, plan or review cannot be saved as asked.

    ``problems`` maps each field (``"reference"``, ``"date_of_birth"``, ``"chair_id"``...,
    the names the staff forms use) to translated sentences safe to show staff;
    ``str(error)`` is all of them.
    """

    def __init__(self, problems: Mapping[str, Sequence[str]]) -> None:
        self.problems: Problems = {field: list(messages)
                                   for field, messages in problems.items() if messages}
        super().__init__(" ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.problems.values() for message in messages]


# --- the rules, one value at a time ------------------------------------------------------------

def reference_problem(reference: str) -> str | None:
    """What is wrong with a child's reference (spaces already trimmed), or None."""
    if not reference:
        return _("Enter the child's reference from the case-management system.")
    if len(reference) > REFERENCE_MAX:
        return _("Use at most %(count)d characters for the reference.", count=REFERENCE_MAX)
    if not _REFERENCE.fullmatch(reference):
        return _("Use letters, numbers and - / _ . only.")
    return None


def reference_taken_problem(holder_id: int | None, record_id: int | None) -> str | None:
    """Whether a reference already held by child ``holder_id`` (None: by no child) may go to
    child ``record_id`` (None: a child being added). Which child holds it, and in which team,
    is not said: that is for the people who may see that child."""
    if holder_id is None or holder_id == record_id:
        return None
    return _reference_taken(adding=record_id is None)


def _reference_taken(*, adding: bool) -> str:
    if adding:
        return _("A child with this reference is already in viewpoint. Ask your manager to find "
                 "the record.")
    return _("Another child already has this reference.")


def first_name_problem(name: str) -> str | None:
    if not name:
        return _("Enter a first name.")
    if len(name) > NAME_MAX:
        return _("Use at most %(count)d characters for the first name.", count=NAME_MAX)
    return None


def last_name_problem(name: str) -> str | None:
    if not name:
        return _("Enter a last name.")
    if len(name) > NAME_MAX:
        return _("Use at most %(count)d characters for the last name.", count=NAME_MAX)
    return None


def date_of_birth_problem(born: date, today: date) -> str | None:
    if born > today:
        return _("Enter a date of birth in the past.")
    if born.year < EARLIEST_BIRTH_YEAR:
        return _("Enter a date of birth in %(year)d or later: viewpoint is for children and "
                 "young people.", year=EARLIEST_BIRTH_YEAR)
    return None


def _in_english(code: str) -> str:
    """A language's English name ("Klingon" for "tlh"), or ``code`` itself if it names none."""
    named = language_in_english(code)
    if named != code:
        return named
    return Locale("en").languages.get(code.replace("-", "_"), code)


def language_problem(code: str) -> str | None:
    """None if children can answer in ``code``: one of :data:`viewpoint.i18n.CHILD_LANGUAGES`,
    each with a complete translation of every child's page."""
    if code in CHILD_LANGUAGES:
        return None
    return _("Children cannot answer in %(language)s. Choose one of: %(languages)s.",
             language=_in_english(code),
             languages=", ".join(language_in_english(known) for known in CHILD_LANGUAGES))


def social_worker_problem(user: User | None, team_id: int) -> str | None:
    """None if ``user`` (None: nobody found) may be the allocated worker of a child of team
    ``team_id``: an active social worker in that team."""
    if user is not None and user.is_active and user.role is Role.SOCIAL_WORKER \
            and user.team_id == team_id:
        return None
    return _("Only an active social worker in the child's team can be their social worker.")


def chair_problem(user: User | None) -> str | None:
    """None if ``user`` (None: nobody found) may chair a review: an active reviewing officer."""
    if user is not None and user.is_active and user.role is Role.REVIEWING_OFFICER:
        return None
    return _("Only an active reviewing officer can chair a review.")


def placement_problem(kind: PlanKind, placement: PlacementType | None) -> str | None:
    """Care plans and pathway plans record where the child lives; the others do not."""
    if kind in PLANS_WITH_PLACEMENT and placement is None:
        return _("Choose where the child lives: care and pathway plans record the placement.")
    if kind not in PLANS_WITH_PLACEMENT and placement is not None:
        return _("Only care plans and pathway plans record a placement.")
    return None


def plan_end_problem(started_on: date, ended_on: date) -> str | None:
    if ended_on < started_on:
        return _("The end date cannot be before the start date.")
    return None


def review_due_problem(due_on: date, plan_started_on: date) -> str | None:
    if due_on < plan_started_on:
        return _("A review cannot be due before the plan started.")
    return None


def review_held_problem(held_on: date, today: date) -> str | None:
    if held_on > today:
        return _("A review cannot have been held in the future.")
    return None


# --- the rules, record by record ---------------------------------------------------------------

def _gather(checks: Iterable[tuple[str, str | None]]) -> Problems:
    problems: Problems = {}
    for name, message in checks:
        if message is not None:
            problems.setdefault(name, []).append(message)
    return problems


def check_child(*, reference: str | None = None, first_name: str | None = None,
                last_name: str | None = None, date_of_birth: date | None = None,
                preferred_language: str | None = None,
                today: date | None = None) -> Problems:
    """Every rule about a child's own details, by field (values not given are not checked).

    Whether the reference is free and who the social worker may be need the database:
    :func:`reference_taken_problem` and :func:`social_worker_problem`.
    """
    today = today or date.today()

    def checks() -> Iterator[tuple[str, str | None]]:
        if reference is not None:
            yield "reference", reference_problem(reference)
        if first_name is not None:
            yield "first_name", first_name_problem(first_name)
        if last_name is not None:
            yield "last_name", last_name_problem(last_name)
        if date_of_birth is not None:
            yield "date_of_birth", date_of_birth_problem(date_of_birth, today)
        if preferred_language is not None:
            yield "preferred_language", language_problem(preferred_language)

    return _gather(checks())


def check_plan(*, kind: PlanKind, placement_type: PlacementType | None,
               started_on: date | None = None, ended_on: date | None = None) -> Problems:
    """Every rule about a plan, by field. ``placement_type`` None means "no placement"."""
    checks = [("placement_type", placement_problem(kind, placement_type))]
    if started_on is not None and ended_on is not None:
        checks.append(("ended_on", plan_end_problem(started_on, ended_on)))
    return _gather(checks)


def check_review(*, due_on: date | None = None, held_on: date | None = None,
                 plan_started_on: date | None = None, today: date | None = None) -> Problems:
    """Every rule about a review's dates, by field (values not given are not checked). Who
    may chair it needs the database: :func:`chair_problem`."""
    checks = []
    if due_on is not None and plan_started_on is not None:
        checks.append(("due_on", review_due_problem(due_on, plan_started_on)))
    if held_on is not None:
        checks.append(("held_on", review_held_problem(held_on, today or date.today())))
    return _gather(checks)


def add_problem(problems: Problems, name: str, message: str | None) -> None:
    if message is not None:
        problems.setdefault(name, []).append(message)


def raise_problems(problems: Problems) -> None:
    if problems:
        raise RecordProblems(problems)


# --- children ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChildDetails:
    """What a form says about a child. ``social_worker_id`` None: not allocated."""

    reference: str
    first_name: str
    last_name: str
    date_of_birth: date
    gender: Gender
    ethnicity_group: EthnicityGroup
    preferred_language: str
    social_worker_id: int | None = None


def _child_problems(session: Session, details: ChildDetails, *, team_id: int,
                    record_id: int | None, today: date | None) -> Problems:
    problems = check_child(reference=details.reference, first_name=details.first_name,
                           last_name=details.last_name, date_of_birth=details.date_of_birth,
                           preferred_language=details.preferred_language, today=today)
    if "reference" not in problems:
        holder = session.scalar(select(Child.id).where(Child.reference == details.reference))
        add_problem(problems, "reference", reference_taken_problem(holder, record_id))
    if details.social_worker_id is not None:
        add_problem(problems, "social_worker_id", social_worker_problem(
            session.get(User, details.social_worker_id), team_id))
    return problems


def _tidy(details: ChildDetails) -> ChildDetails:
    return ChildDetails(
        reference=details.reference.strip(), first_name=details.first_name.strip(),
        last_name=details.last_name.strip(), date_of_birth=details.date_of_birth,
        gender=Gender(details.gender), ethnicity_group=EthnicityGroup(details.ethnicity_group),
        preferred_language=details.preferred_language.strip(),
        social_worker_id=details.social_worker_id or None)


def _fill_child(child: Child, details: ChildDetails) -> None:
    child.reference = details.reference
    child.first_name = details.first_name
    child.last_name = details.last_name
    child.date_of_birth = details.date_of_birth
    child.gender = details.gender
    child.ethnicity_group = details.ethnicity_group
    child.preferred_language = details.preferred_language
    child.social_worker_id = details.social_worker_id


def _save_child(session: Session, child: Child, details: ChildDetails, *, adding: bool) -> None:
    try:
        # Two people saving the same reference at once: the unique index decides, and the
        # loser gets the same message as if they had been second all along. The change is
        # made inside the savepoint, so a refused one is undone with it.
        with session.begin_nested():
            _fill_child(child, details)
            session.add(child)
            session.flush()
    except IntegrityError as error:
        raise RecordProblems({"reference": [_reference_taken(adding=adding)]}) from error


def create_child(session: Session, details: ChildDetails, *, team_id: int,
                 actor: User | None = None, today: date | None = None) -> Child:
    """Add a child to team ``team_id``.

    Raises :class:`RecordProblems` for a reference that is empty, too long, not of letters,
    numbers and ``- / _ .``, or already another child's; an empty or too long name; a date of
    birth in the future or before 1990; a language children cannot answer in; or a social
    worker who is not an active social worker in the team.
    """
    details = _tidy(details)
    raise_problems(_child_problems(session, details, team_id=team_id, record_id=None, today=today))
    child = Child(team_id=team_id)
    _save_child(session, child, details, adding=True)
    audit.record("child.created", child_id=child.id, subject=child, actor=actor,
                 session=session)
    return child


def update_child(session: Session, child: Child, details: ChildDetails, *,
                 actor: User | None = None, today: date | None = None) -> Child:
    """Change a child's details (the child stays in their team).

    Raises :class:`RecordProblems` for the same reasons as :func:`create_child`; the child is
    then left as it was.
    """
    details = _tidy(details)
    raise_problems(_child_problems(session, details, team_id=child.team_id, record_id=child.id,
                              today=today))
    _save_child(session, child, details, adding=False)
    audit.record("child.edited", child_id=child.id, subject=child, actor=actor, session=session)
    return child


# --- plans -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanDetails:
    """What a form says about a plan. ``ended_on`` None: still open."""

    kind: PlanKind
    placement_type: PlacementType | None
    started_on: date
    ended_on: date | None = None


def _check_plan_details(details: PlanDetails) -> PlanDetails:
    details = PlanDetails(PlanKind(details.kind),
                          PlacementType(details.placement_type) if details.placement_type
                          else None, details.started_on, details.ended_on)
    raise_problems(check_plan(kind=details.kind, placement_type=details.placement_type,
                         started_on=details.started_on, ended_on=details.ended_on))
    return details


def _fill_plan(plan: Plan, details: PlanDetails) -> None:
    plan.kind = details.kind
    plan.placement_type = details.placement_type
    plan.started_on = details.started_on
    plan.ended_on = details.ended_on


def create_plan(session: Session, child: Child, details: PlanDetails, *,
                actor: User | None = None) -> Plan:
    """Add a plan for ``child``.

    Raises :class:`RecordProblems` for a care or pathway plan without a placement, another
    kind of plan with one, or an end date before the start date.
    """
    details = _check_plan_details(details)
    # By id rather than ``child=``: a refused or rolled-back plan leaves nothing half-added
    # in the child's list of plans.
    plan = Plan(child_id=child.id)
    _fill_plan(plan, details)
    session.add(plan)
    session.flush()
    audit.record("plan.created", child_id=child.id, subject=plan, actor=actor, session=session)
    return plan


def update_plan(session: Session, plan: Plan, details: PlanDetails, *,
                actor: User | None = None) -> Plan:
    """Change a plan. Raises :class:`RecordProblems` for the same reasons as
    :func:`create_plan`; the plan is then left as it was."""
    details = _check_plan_details(details)
    _fill_plan(plan, details)
    session.flush()
    audit.record("plan.edited", child_id=plan.child_id, subject=plan, actor=actor,
                 session=session)
    return plan


# --- reviews -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewDetails:
    """What a form says about a review. ``held_on`` None: not held yet; ``chair_id`` None: the
    chair is not known yet."""

    due_on: date
    held_on: date | None = None
    chair_id: int | None = None


def _check_review_details(session: Session, plan: Plan, details: ReviewDetails,
                          today: date | None) -> ReviewDetails:
    details = ReviewDetails(details.due_on, details.held_on, details.chair_id or None)
    problems = check_review(due_on=details.due_on, held_on=details.held_on,
                            plan_started_on=plan.started_on, today=today)
    if details.chair_id is not None:
        add_problem(problems, "chair_id", chair_problem(session.get(User, details.chair_id)))
    raise_problems(problems)
    return details


def create_review(session: Session, plan: Plan, details: ReviewDetails, *,
                  actor: User | None = None, today: date | None = None) -> Review:
    """Add a review of ``plan``.

    Raises :class:`RecordProblems` for a review due before the plan started, held in the
    future, or chaired by someone who is not an active reviewing officer.
    """
    details = _check_review_details(session, plan, details, today)
    review = Review(plan_id=plan.id, due_on=details.due_on, held_on=details.held_on,
                    chair_id=details.chair_id)
    session.add(review)
    session.flush()
    audit.record("review.created", child_id=plan.child_id, subject=review, actor=actor,
                 session=session)
    return review


def update_review(session: Session, review: Review, details: ReviewDetails, *,
                  actor: User | None = None, today: date | None = None) -> Review:
    """Change a review's dates or chair. Raises :class:`RecordProblems` for the same reasons
    as :func:`create_review`; the review is then left as it was."""
    details = _check_review_details(session, review.plan, details, today)
    review.due_on = details.due_on
    review.held_on = details.held_on
    review.chair_id = details.chair_id
    session.flush()
    audit.record("review.edited", child_id=review.plan.child_id, subject=review, actor=actor,
                 session=session)
    return review
