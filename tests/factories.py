"""Small builders for test data: a council with just what a test needs."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from viewpoint.models import (
    Child,
    EthnicityGroup,
    Gender,
    Invitation,
    PlacementType,
    Plan,
    PlanKind,
    Response,
    Review,
    Role,
    Team,
    User,
)
from viewpoint.operations.totals import rebuild

_numbers = itertools.count(1)


def make_team(session: Session, name: str | None = None) -> Team:
    team = Team(name=name or f"Team {next(_numbers)}")
    session.add(team)
    session.flush()
    return team


def make_user(session: Session, role: Role, team: Team | None = None,
              name: str = "Sam Cobblestone") -> User:
    user = User(email=f"user{next(_numbers)}@example.test", display_name=name, role=role,
                team=team)
    session.add(user)
    session.flush()
    return user


def make_child(session: Session, *, age: int = 9, kind: PlanKind = PlanKind.CARE_PLAN,
               team: Team | None = None, worker: User | None = None,
               review_in_days: int = 14, first_name: str = "Wren",
               language: str = "en", record_key: int | None = None) -> Child:
    """A child of ``age`` with an open plan of ``kind`` and a review due in ``review_in_days``
    (and a random record key unless one is given)."""
    team = team or make_team(session)
    if worker is None:
        worker = make_user(session, Role.SOCIAL_WORKER, team)
        make_user(session, Role.TEAM_MANAGER, team, name="Robin Hartwell")
    today = date.today()
    number = next(_numbers)
    child = Child(reference=f"T-{number:05d}", first_name=first_name, last_name="Alder",
                  date_of_birth=today.replace(year=today.year - age) - timedelta(days=30),
                  gender=Gender.GIRL, ethnicity_group=EthnicityGroup.WHITE,
                  preferred_language=language, team=team, social_worker=worker)
    if record_key is not None:
        child.record_key = record_key
    placement = PlacementType.FOSTER if kind in (PlanKind.CARE_PLAN, PlanKind.PATHWAY_PLAN) \
        else None
    plan = Plan(child=child, kind=kind, placement_type=placement,
                started_on=today - timedelta(days=200))
    Review(plan=plan, due_on=today + timedelta(days=review_in_days))
    session.add(child)
    session.flush()
    return child


def move_into_the_past(session: Session, days: int = 730) -> None:
    """Everything answered, asked and held so far happened ``days`` earlier, and the
    dashboards' totals are counted again: the council's figures are then in a period that
    has ended and is published (two years back is always in a published financial year)."""
    shift = timedelta(days=days)
    for response in session.scalars(select(Response)):
        response.started_at -= shift
        response.saved_at -= shift
        if response.submitted_at is not None:
            response.submitted_at -= shift
    for invitation in session.scalars(select(Invitation)):
        invitation.issued_at -= shift
        invitation.expires_at -= shift
    for review in session.scalars(select(Review)):
        review.due_on -= shift
        if review.held_on is not None:
            review.held_on -= shift
    session.flush()
    rebuild(session)
    session.commit()

