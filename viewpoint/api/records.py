"""Children, their plans and reviews, read and written by the council's case-management
system.

Writes go through the same operations as the staff forms and the CSV import
(``operations/children.py``), so a record is refused for the same reasons in the same
words. Each record is found again by the case-management system's reference, so sending
the same thing twice changes nothing the second time (and writes no audit row of a change).
Fields left out of a body keep what viewpoint holds, as an empty cell does in the import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Child,
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Review,
    Team,
    User,
    normalise_email,
)
from ..operations.children import (
    ChildDetails,
    PlanDetails,
    RecordProblems,
    ReviewDetails,
    chair_problem,
    create_child,
    create_plan,
    create_review,
    reference_problem,
    social_worker_problem,
    update_child,
    update_plan,
    update_review,
)
from ..problems import FieldError, Problem
from . import bp, shapes
from .access import about_child, account, needs, visible_to_token
from .paging import page
from .schemas import day, read_body

#: The operations' field names, as the API's bodies call them.
_FIELD = {"social_worker_id": "social_worker_email", "chair_id": "chair_email"}


def sent_twice() -> Problem:
    """Two calls at once with the same new reference: one adds it, the other is told."""
    return Problem("conflict", "Another call added a record with this reference at the same "
                   "moment. Send this one again: it will find that record.")


def refused(error: RecordProblems, path_field: str | None = None) -> Problem:
    """The operations' problems as the API's field errors (the path's reference is
    ``#/path/reference``)."""
    errors = [FieldError("#/path/reference" if name == "reference" and path_field
                         else f"#/{_FIELD.get(name, name)}", message)
              for name, messages in error.problems.items() for message in messages]
    return Problem("validation", "viewpoint's rules refuse this record: nothing was changed.",
                   errors)


def _check_reference(reference: str) -> None:
    if (problem := reference_problem(reference)) is not None:
        raise Problem("validation", "The reference in the address is not allowed.",
                      [FieldError("#/path/reference", problem)])


def _child_query() -> Any:
    # (populate_existing: a record changed earlier in the same session is read afresh.)
    return select(Child).where(visible_to_token()).execution_options(
        populate_existing=True).options(
        selectinload(Child.social_worker),
        selectinload(Child.plans).selectinload(Plan.reviews).selectinload(Review.chair))


def visible_child(reference: str, pointer: str = "#/path/reference") -> Child:
    """The child with this reference whom the token may see. Raises :class:`Problem`
    (not-found: missing and out of the token's teams answer alike)."""
    found = db.session.scalar(_child_query().where(Child.reference == reference))
    if found is None:
        raise Problem("not-found", "There is no child with this reference that this token "
                      "may see.", [FieldError(pointer, "No such child.")])
    return about_child(found)


def _visible_plan(reference: str, pointer: str = "#/path/reference") -> Plan:
    found = db.session.scalar(select(Plan).join(Child).where(
        Plan.reference == reference, visible_to_token()))
    if found is None:
        raise Problem("not-found", "There is no plan with this reference that this token "
                      "may see.", [FieldError(pointer, "No such plan.")])
    about_child(found.child)
    return found


def _person(email: str | None) -> User | None:
    if not email:
        return None
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _referenced(record: Any, reference: str) -> Any:
    record.reference = reference
    return record


def _saved(existing: Any, create: Callable[[], Any],
           update: Callable[[], object] | None) -> tuple[Any, int]:
    """Add the record (``create``), or bring ``existing`` up to date (``update``; None when
    nothing differs, so nothing is recorded as changed); the record, and 201 or 200. Raises
    :class:`Problem` for what the rules refuse, and for the same new reference sent twice
    at once."""
    try:
        if existing is None:
            with db.session.begin_nested():
                record = create()
                db.session.flush()
            status = 201
        else:
            record, status = existing, 200
            if update is not None:
                update()
        db.session.flush()
    except RecordProblems as error:
        raise refused(error) from error
    except IntegrityError as error:  # the same reference sent twice at once
        raise sent_twice() from error
    db.session.refresh(record)
    return record, status


# --- teams -------------------------------------------------------------------------------------

@bp.get("/teams")
@needs("children:read")
def teams():  # type: ignore[no-untyped-def]
    query = select(Team)
    if account().team_ids:
        query = query.where(Team.id.in_(account().team_ids))
    return page(db.session, query, [Team.id], lambda row: [row.id], shapes.team)


# --- children ----------------------------------------------------------------------------------

@bp.get("/children")
@needs("children:read")
def children():  # type: ignore[no-untyped-def]
    return page(db.session, _child_query(), [Child.id], lambda row: [row.id], shapes.child)


@bp.get("/children/<path:reference>")
@needs("children:read")
def child(reference: str):  # type: ignore[no-untyped-def]
    return shapes.child(visible_child(reference))


def _team_for_new_child(body: Mapping[str, Any]) -> int:
    limited = account().team_ids
    team_id = body.get("team_id")
    if team_id is None:
        if len(limited) == 1:
            return limited[0]
        raise Problem("validation", "Say which team the child belongs to.",
                      [FieldError("#/team_id", "Needed to add a child with this token.")])
    if db.session.get(Team, team_id) is None or (limited and team_id not in limited):
        raise Problem("validation", "This token cannot add children to that team.",
                      [FieldError("#/team_id", "Not a team this token may use.")])
    return int(team_id)


def _worker_id(body: Mapping[str, Any], team_id: int, current: int | None) -> int | None:
    if "social_worker_email" not in body:
        return current
    if body["social_worker_email"] is None:
        return None
    worker = _person(body["social_worker_email"])
    if (problem := social_worker_problem(worker, team_id)) is not None:
        raise Problem("validation", "viewpoint's rules refuse this record: nothing was "
                      "changed.", [FieldError("#/social_worker_email", problem)])
    assert worker is not None  # (the rule above refuses nobody)
    return worker.id


@bp.put("/children/<path:reference>")
@needs("children:write")
def put_child(reference: str):  # type: ignore[no-untyped-def]
    body = read_body("ChildIn")
    born = day(body, "date_of_birth")
    assert born is not None  # (required by the schema)
    existing = db.session.scalar(select(Child).where(Child.reference == reference.strip()))
    if existing is not None and existing.team_id not in (account().team_ids or
                                                          [existing.team_id]):
        existing = None  # another team's child: refused below as the staff form refuses it
    if existing is not None:
        about_child(existing)
        if body.get("team_id") not in (None, existing.team_id):
            raise Problem("validation", "A child's team is changed in viewpoint, by their "
                          "manager.", [FieldError("#/team_id", "Not the child's team.")])
        team_id = existing.team_id
    else:
        team_id = _team_for_new_child(body)
    details = ChildDetails(
        reference=reference, first_name=body["first_name"], last_name=body["last_name"],
        date_of_birth=born,
        gender=Gender(body.get("gender") or (existing.gender if existing else "not_recorded")),
        ethnicity_group=EthnicityGroup(body.get("ethnicity_group") or (
            existing.ethnicity_group if existing else "not_recorded")),
        preferred_language=body.get("preferred_language") or (
            existing.preferred_language if existing else "en"),
        social_worker_id=_worker_id(body, team_id,
                                    existing.social_worker_id if existing else None))
    try:
        if existing is None:
            record = create_child(db.session, details, team_id=team_id)
            about_child(record)
            status = 201
        else:
            record = existing
            if _child_details(existing) != details:
                update_child(db.session, existing, details)
            status = 200
    except RecordProblems as error:
        raise refused(error, "reference") from error
    db.session.refresh(record)
    return shapes.child(db.session.scalar(_child_query().where(Child.id == record.id))), status


def _child_details(record: Child) -> ChildDetails:
    return ChildDetails(record.reference, record.first_name, record.last_name,
                        record.date_of_birth, record.gender, record.ethnicity_group,
                        record.preferred_language, record.social_worker_id)


# --- plans -------------------------------------------------------------------------------------

@bp.get("/plans/<path:reference>")
@needs("children:read")
def plan(reference: str):  # type: ignore[no-untyped-def]
    return shapes.plan(_visible_plan(reference))


@bp.put("/plans/<path:reference>")
@needs("children:write")
def put_plan(reference: str):  # type: ignore[no-untyped-def]
    _check_reference(reference)
    body = read_body("PlanIn")
    owner = visible_child(body["child_reference"], "#/child_reference")
    existing = db.session.scalar(select(Plan).where(Plan.reference == reference))
    if existing is not None and existing.child_id != owner.id:
        raise Problem("conflict", "This plan reference belongs to another child's plan.")
    started = day(body, "started_on")
    assert started is not None  # (required by the schema)
    placement = body.get("placement_type", existing.placement_type if existing else None)
    details = PlanDetails(
        kind=PlanKind(body["kind"]),
        placement_type=PlacementType(placement) if placement else None,
        started_on=started,
        ended_on=day(body, "ended_on") if "ended_on" in body else (
            existing.ended_on if existing else None))
    changed = existing is not None and _plan_details(existing) != details
    record, status = _saved(
        existing, lambda: _referenced(create_plan(db.session, owner, details), reference),
        (lambda: update_plan(db.session, existing, details)) if changed else None)
    return shapes.plan(record), status


def _plan_details(record: Plan) -> PlanDetails:
    return PlanDetails(record.kind, record.placement_type, record.started_on, record.ended_on)


# --- reviews -----------------------------------------------------------------------------------

@bp.get("/reviews/<path:reference>")
@needs("children:read")
def review(reference: str):  # type: ignore[no-untyped-def]
    found = db.session.scalar(select(Review).join(Plan).join(Child).where(
        Review.reference == reference, visible_to_token()))
    if found is None:
        raise Problem("not-found", "There is no review with this reference that this token "
                      "may see.")
    about_child(found.plan.child)
    return shapes.review(found)


@bp.put("/reviews/<path:reference>")
@needs("children:write")
def put_review(reference: str):  # type: ignore[no-untyped-def]
    _check_reference(reference)
    body = read_body("ReviewIn")
    under = _visible_plan(body["plan_reference"], "#/plan_reference")
    existing = db.session.scalar(select(Review).where(Review.reference == reference))
    if existing is not None and existing.plan_id != under.id:
        raise Problem("conflict", "This review reference belongs to another plan's review.")
    chair_id = existing.chair_id if existing else None
    if "chair_email" in body:
        chair_id = None
        if body["chair_email"] is not None:
            chair = _person(body["chair_email"])
            if (problem := chair_problem(chair)) is not None:
                raise Problem("validation", "viewpoint's rules refuse this record: nothing "
                              "was changed.", [FieldError("#/chair_email", problem)])
            assert chair is not None  # (the rule above refuses nobody)
            chair_id = chair.id
    due = day(body, "due_on")
    assert due is not None  # (required by the schema)
    details = ReviewDetails(
        due_on=due,
        held_on=day(body, "held_on") if "held_on" in body else (
            existing.held_on if existing else None),
        chair_id=chair_id)
    changed = existing is not None and ReviewDetails(
        existing.due_on, existing.held_on, existing.chair_id) != details
    record, status = _saved(
        existing, lambda: _referenced(create_review(db.session, under, details), reference),
        (lambda: update_review(db.session, existing, details)) if changed else None)
    g.api_child_id = under.child_id
    return shapes.review(record), status
