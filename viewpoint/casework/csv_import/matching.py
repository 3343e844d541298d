"""Matching what the file describes with what viewpoint holds: which children, plans and
reviews are new, which change and how, and which are already right.

A child is matched by their reference, a plan by (child, kind, start date) and a review by
(plan, due date). An empty cell never clears what viewpoint holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Child, EthnicityGroup, Gender, Plan, PlanKind, Review, User
from ...operations.imports import PendingRecord
from .result import Change, ImportCheck, Problem, Tally

#: Rows fetched per ``IN (...)`` query: well under SQLite's limit on bound parameters.
_CHUNK = 500


@dataclass
class Record:
    """A child, plan or review as the file describes it, gathered from all its rows."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    first_lines: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)

    def merge(self, line: int, values: dict[str, Any]) -> list[str]:
        """Add one row's values; return the columns whose value differs from an earlier row."""
        self.lines.append(line)
        conflicts = []
        for name, value in values.items():
            if value is None:
                continue
            if name not in self.values:
                self.values[name] = value
                self.first_lines[name] = line
            elif self.values[name] != value:
                conflicts.append(name)
        return conflicts


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def fetch(session: Session, model: Any, column: Any, values: Iterable[Any]) -> list[Any]:
    found: list[Any] = []
    for chunk in _chunks(sorted(set(values))):
        found.extend(session.scalars(select(model).where(column.in_(chunk))))
    return found


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.email
    return str(getattr(value, "value", value))


#: File column -> model attribute, for each kind of record.
_CHILD_FIELDS = {"first_name": "first_name", "last_name": "last_name",
                 "date_of_birth": "date_of_birth", "gender": "gender",
                 "ethnicity_group": "ethnicity_group", "preferred_language": "preferred_language",
                 "social_worker_email": "social_worker"}
_PLAN_FIELDS = {"placement_type": "placement_type", "plan_end": "ended_on"}
_REVIEW_FIELDS = {"review_held": "held_on", "review_chair_email": "chair"}
_NEW_CHILD_DEFAULTS = {"gender": Gender.NOT_RECORDED,
                       "ethnicity_group": EthnicityGroup.NOT_RECORDED,
                       "preferred_language": "en", "social_worker": None}


def _differences(existing: Any, record: Record, fields: dict[str, str]) -> tuple[
        dict[str, Any], tuple[tuple[str, str | None, str | None], ...]]:
    """The attributes ``record`` changes on ``existing`` (compared first, so that a record
    that is already right is left untouched), and the same for people to read."""
    values: dict[str, Any] = {}
    shown = []
    for column, attribute in fields.items():
        if column not in record.values:
            continue  # an empty cell keeps what viewpoint holds
        new, old = record.values[column], getattr(existing, attribute)
        if new != old:
            values[attribute] = new
            shown.append((column, _shown(old), _shown(new)))
    return values, tuple(shown)


def compare(session: Session, check: ImportCheck, children: dict[str, Child],
             child_records: dict[str, Record],
             plan_records: dict[tuple[str, PlanKind, date], Record],
             review_records: dict[tuple[str, PlanKind, date, date], Record]) -> None:
    """Fill in ``check``'s counts, changes and pending records from the gathered records."""
    ours = {ref: child for ref, child in children.items() if ref in child_records}
    plans: dict[tuple[int, PlanKind, date], list[Plan]] = defaultdict(list)
    for plan in fetch(session, Plan, Plan.child_id, [c.id for c in ours.values()]):
        plans[(plan.child_id, plan.kind, plan.started_on)].append(plan)
    reviews: dict[tuple[int, date], list[Review]] = defaultdict(list)
    plan_ids = [plan.id for found in plans.values() for plan in found]
    for review in fetch(session, Review, Review.plan_id, plan_ids):
        reviews[(review.plan_id, review.due_on)].append(review)

    def note(tally: Tally, line: int, reference: str, record: Any, existing: Any,
             shown: tuple[tuple[str, str | None, str | None], ...]) -> None:
        if existing is None:
            tally.created += 1
        elif shown:
            tally.updated += 1
        else:
            tally.unchanged += 1
            return
        check.changes.append(Change(line, reference, record, existing is None, shown))

    matched_plans: dict[tuple[str, PlanKind, date], Plan | None] = {}
    for reference, record in child_records.items():
        child = ours.get(reference)
        if child is None:
            values = {**_NEW_CHILD_DEFAULTS, "reference": reference,
                      **{_CHILD_FIELDS[c]: v for c, v in record.values.items()}}
            shown: tuple[tuple[str, str | None, str | None], ...] = ()
        else:
            values, shown = _differences(child, record, _CHILD_FIELDS)
        # Translators: the kind of record in the import's list of changes.
        note(check.children, record.line, reference, _l("child"), child, shown)
        if values:
            check.pending.append(PendingRecord("child", reference, child, values,
                                               source=record))

    for key, record in plan_records.items():
        reference, kind, started_on = key
        child = ours.get(reference)
        found = plans.get((child.id, kind, started_on), []) if child is not None else []
        # Translators: a plan in the import's list of changes: "care plan from 2024-01-08".
        label = _l("%(kind)s from %(start)s", kind=kind.phrase,
                   start=started_on.isoformat())
        if len(found) > 1:
            message = _("Child %(reference)s already has more than one %(kind)s starting on "
                        "%(start)s, so this row cannot be matched to one of them.",
                        reference=reference, kind=kind.phrase,
                        start=started_on.isoformat())
            check.problems.extend(Problem(line, message) for line in record.lines)
            continue
        plan = found[0] if found else None
        matched_plans[key] = plan
        if plan is None:
            values = {"kind": kind, "started_on": started_on,
                      **{_PLAN_FIELDS[c]: v for c, v in record.values.items()}}
            shown = ()
        else:
            values, shown = _differences(plan, record, _PLAN_FIELDS)
        note(check.plans, record.line, reference, label, plan, shown)
        if values:
            check.pending.append(PendingRecord("plan", key, plan, values, parent=child,
                                               parent_key=reference, source=record))

    for key, record in review_records.items():
        plan_key, due_on = key[:3], key[3]
        if plan_key not in matched_plans:
            continue  # the plan could not be matched; its problem is already listed
        plan = matched_plans[plan_key]
        found = reviews.get((plan.id, due_on), []) if plan is not None else []
        # Translators: a review in the import's list of changes.
        label = _l("review of the %(kind)s, due %(due)s", kind=plan_key[1].phrase,
                  due=due_on.isoformat())
        if len(found) > 1:
            message = _("This plan already has more than one review due on %(due)s, so this "
                        "row cannot be matched to one of them.", due=due_on.isoformat())
            check.problems.extend(Problem(line, message) for line in record.lines)
            continue
        review = found[0] if found else None
        if review is None:
            values = {"due_on": due_on,
                      **{_REVIEW_FIELDS[c]: v for c, v in record.values.items()}}
            shown = ()
        else:
            values, shown = _differences(review, record, _REVIEW_FIELDS)
        note(check.reviews, record.line, plan_key[0], label, review, shown)
        if values:
            check.pending.append(PendingRecord("review", key, review, values, parent=plan,
                                               parent_key=plan_key, source=record))
    check.changes.sort(key=lambda change: change.line)
