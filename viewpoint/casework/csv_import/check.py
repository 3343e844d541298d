"""Checking a whole file: every problem, with its line, and what importing it would change.

The rows are read one by one (:mod:`.rows`), gathered into the children, plans and reviews
they describe, matched with what viewpoint holds (:mod:`.matching`), and each record that
would be added or changed is checked with the rules of
:mod:`viewpoint.operations.children`: the rules, and the words, of the staff forms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ...models import Child, PlanKind, Team, User
from ...operations.children import (
    chair_problem,
    reference_taken_problem,
    social_worker_problem,
)
from ...operations.imports import import_problems
from .matching import Record, compare, fetch
from .reading import FileRefused, decode, read_table
from .result import ImportCheck, Problem
from .rows import Row, parse_row

#: The column a rule's field is read from, for each kind of record: a problem is listed on
#: the line that gave the value (fields not listed: the record's first line).
_COLUMNS = {
    "child": {"first_name": "first_name", "last_name": "last_name",
              "date_of_birth": "date_of_birth", "preferred_language": "preferred_language",
              "social_worker_id": "social_worker_email"},
    "plan": {"placement_type": "placement_type", "ended_on": "plan_end"},
    "review": {"held_on": "review_held", "chair_id": "review_chair_email"},
}


def check_import(session: Session, data: bytes, *, team: Team,
                 today: date | None = None) -> ImportCheck:
    """Read ``data`` (the uploaded file) and work out what importing it into ``team`` does.

    Writes nothing. Every problem found is in the result's ``problems``, with its line;
    the result can be passed to :func:`.apply.apply_import` only when it has none.
    """
    check = ImportCheck(today=today or date.today())
    try:
        table, check.ignored_columns = read_table(decode(data))
    except FileRefused as refused:
        check.problems.append(Problem(refused.line, refused.message))
        return check
    check.rows = len(table)
    rows = [parse_row(*row) for row in table]
    children = {child.reference: child for child in fetch(
        session, Child, Child.reference, [r.reference for r in rows if r.reference])}
    emails = {e for r in rows for e in (r.social_worker_email, r.review_chair_email) if e}
    users = {user.email: user for user in fetch(session, User, User.email, emails)}

    records = _Gathered()
    for row in rows:
        # A reference of one of the team's children is that child, to be changed; one of
        # another team's is taken, refused as the staff form refuses it (without saying whose
        # it is or which team has them).
        holder = children.get(row.reference) if row.reference else None
        ours = holder.id if holder is not None and holder.team_id == team.id else None
        message = reference_taken_problem(holder.id if holder else None, ours)
        if message is not None:
            row.problems.append(message)
            continue
        records.add(row, _person(row, "social_worker_email", users,
                                 lambda user: social_worker_problem(user, team.id)),
                    _person(row, "review_chair_email", users, chair_problem))

    compare(session, check, children, records.children, records.plans, records.reviews)
    unreadable = {(row.line, column) for row in rows for column in row.unreadable}
    for record, name, message in import_problems(session, check.pending, team_id=team.id,
                                                 today=check.today):
        source: Record = record.source
        column = _COLUMNS[record.table].get(name)
        line = source.first_lines.get(column, source.line) if column else source.line
        if (line, column) not in unreadable:  # its cell is already listed as unreadable
            check.problems.append(Problem(line, message))
    check.problems.extend(Problem(row.line, message) for row in rows for message in row.problems)
    check.problems.sort(key=lambda problem: problem.line or 0)
    return check


def _person(row: Row, column: str, users: dict[str, User],
            rule: Callable[[User | None], str | None]) -> User | None:
    """The member of staff a row names in ``column``, if ``rule`` allows them (otherwise its
    problem is added to the row's)."""
    email = getattr(row, column)
    if not email:
        return None
    user = users.get(email)
    message = rule(user)
    if message is not None:
        row.problems.append(message)
        return None
    return user


class _Gathered:
    """The children, plans and reviews the rows describe, each gathered from all its rows;
    rows that disagree about one of them are told so."""

    def __init__(self) -> None:
        self.children: dict[str, Record] = {}
        self.plans: dict[tuple[str, PlanKind, date], Record] = {}
        self.reviews: dict[tuple[str, PlanKind, date, date], Record] = {}
        self.plan_references: dict[str, tuple[tuple[str, PlanKind, date], int]] = {}

    def add(self, row: Row, worker: User | None, chair: User | None) -> None:
        problems = row.problems
        if not (row.reference and row.first_name and row.last_name and row.date_of_birth):
            return
        child = self.children.setdefault(row.reference, Record(row.line))
        for name in child.merge(row.line, {
                "first_name": row.first_name, "last_name": row.last_name,
                "date_of_birth": row.date_of_birth, "gender": row.gender,
                "ethnicity_group": row.ethnicity_group,
                "preferred_language": row.preferred_language,
                "social_worker_email": worker}):
            problems.append(_("Child %(reference)s has a different %(column)s here from line "
                              "%(first)d.", reference=row.reference, column=name,
                              first=child.first_lines[name]))
        if not (row.kind and row.plan_start):
            return
        plan_key = (row.reference, row.kind, row.plan_start)
        if row.plan_reference:
            earlier = self.plan_references.setdefault(row.plan_reference, (plan_key, row.line))
            if earlier[0] != plan_key:
                problems.append(_("Plan reference %(plan)s has a different child, kind of plan "
                                  "or start date here from line %(first)d.",
                                  plan=row.plan_reference, first=earlier[1]))
        plan = self.plans.setdefault(plan_key, Record(row.line))
        for name in plan.merge(row.line, {"placement_type": row.placement_type,
                                          "plan_end": row.plan_end}):
            problems.append(_("The %(kind)s of %(reference)s starting %(start)s has a different "
                              "%(column)s here from line %(first)d.",
                              kind=row.kind.phrase, reference=row.reference,
                              start=row.plan_start.isoformat(), column=name,
                              first=plan.first_lines[name]))
        if not row.review_due:
            return
        review = self.reviews.setdefault((*plan_key, row.review_due), Record(row.line))
        for name in review.merge(row.line, {"review_held": row.review_held,
                                            "review_chair_email": chair}):
            problems.append(_("The review of %(reference)s due %(due)s has a different "
                              "%(column)s here from line %(first)d.",
                              reference=row.reference, due=row.review_due.isoformat(),
                              column=name, first=review.first_lines[name]))
