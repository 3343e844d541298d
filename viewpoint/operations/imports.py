"""Many children, plans and reviews at once (a CSV import), under the same rules as one.

:func:`import_problems` checks every record an import would add or change with the rules in
``children``, so an import refuses exactly what the staff forms refuse, in the same words.
:func:`import_records` writes a whole checked import at once, for a file of up to 5,000
rows: by ids rather than relationships, flushing once per table, and with one audit event
for the import (its counts and the team) rather than one per record. An event per record
would add up to 15,000 rows to the request and double what it writes, to say of each child
only "imported"; the team's import event says when and by whom, and the counts say how much.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Child, Plan, Review, User
from .children import (
    Problems,
    add_problem,
    chair_problem,
    check_child,
    check_plan,
    check_review,
    raise_problems,
    reference_taken_problem,
    social_worker_problem,
)

#: Rows fetched per ``IN (...)`` query: well under SQLite's limit on bound parameters.
_CHUNK = 500


@dataclass
class PendingRecord:
    """One child, plan or review an import adds or changes."""

    #: "child", "plan" or "review".
    table: str
    #: What identifies it in the import (a reference; a (reference, kind, start) key...).
    key: Any
    #: The record it changes; None for a record to add.
    existing: Any
    #: Attribute name -> new value: only those that change (all of them for a new record).
    #: A child's worker and a review's chair are given as Users (``social_worker``, ``chair``).
    values: dict[str, Any]
    #: For a new plan or review: the child or plan it belongs to, if that exists already...
    parent: Any = None
    #: ...or else the key of the pending record that adds it.
    parent_key: Any = None
    #: Whatever the caller keeps to say where the record came from (the file's lines).
    source: Any = None


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _reference_holders(session: Session, references: Iterable[str]) -> dict[str, int]:
    holders: dict[str, int] = {}
    for chunk in _chunks(sorted(set(references))):
        holders.update((reference, child_id) for reference, child_id in session.execute(
            select(Child.reference, Child.id).where(Child.reference.in_(chunk))))
    return holders


def _pending_child(record: PendingRecord, holders: dict[str, int], team_id: int,
                   today: date) -> Problems:
    values = record.values
    problems = check_child(
        reference=values.get("reference"), first_name=values.get("first_name"),
        last_name=values.get("last_name"), date_of_birth=values.get("date_of_birth"),
        preferred_language=values.get("preferred_language"), today=today)
    if record.existing is None and "reference" not in problems:
        add_problem(problems, "reference",
             reference_taken_problem(holders.get(values["reference"]), None))
    if values.get("social_worker") is not None:
        add_problem(problems, "social_worker_id", social_worker_problem(values["social_worker"],
                                                                 team_id))
    return problems


def _pending_plan(record: PendingRecord) -> Problems:
    def now(name: str) -> Any:
        """The value once written: the new one, or else the one kept (None for a new plan)."""
        if name in record.values or record.existing is None:
            return record.values.get(name)
        return getattr(record.existing, name)

    return check_plan(kind=now("kind"), placement_type=now("placement_type"),
                      started_on=now("started_on"), ended_on=now("ended_on"))


def _pending_review(record: PendingRecord, plan_starts: dict[Any, date],
                    today: date) -> Problems:
    values = record.values
    plan_started_on = None
    if record.existing is None:
        plan_started_on = record.parent.started_on if record.parent is not None \
            else plan_starts.get(record.parent_key)
    problems = check_review(due_on=values.get("due_on"), held_on=values.get("held_on"),
                            plan_started_on=plan_started_on, today=today)
    if values.get("chair") is not None:
        add_problem(problems, "chair_id", chair_problem(values["chair"]))
    return problems


def import_problems(session: Session, pending: Sequence[PendingRecord], *, team_id: int,
                    today: date | None = None) -> list[tuple[PendingRecord, str, str]]:
    """(record, field, message) for every rule a pending record breaks, checked as the
    record will be once written (a plan's new end date against its start, kept or new).

    :func:`import_records` refuses anything this lists, so a check that runs it first and
    finds nothing is an import that will be written.
    """
    today = today or date.today()
    holders = _reference_holders(session, [record.values["reference"] for record in pending
                                           if record.table == "child"
                                           and record.existing is None])
    plan_starts = {record.key: record.values["started_on"] for record in pending
                   if record.table == "plan" and record.existing is None}
    found = []
    for record in pending:
        if record.table == "child":
            problems = _pending_child(record, holders, team_id, today)
        elif record.table == "plan":
            problems = _pending_plan(record)
        else:
            problems = _pending_review(record, plan_starts, today)
        found.extend((record, name, message)
                     for name, messages in problems.items() for message in messages)
    return found


def import_records(session: Session, pending: Sequence[PendingRecord], *, team_id: int,
                   counts: Mapping[str, int], actor: User | None = None,
                   today: date | None = None) -> None:
    """Add and change the records of an import into team ``team_id``, and write one audit
    event ``import.applied`` with ``counts`` (never a name or a reference) and the team.

    Raises :class:`RecordProblems`, writing nothing, if any record breaks a rule
    (:func:`import_problems`).
    """
    problems: Problems = {}
    for _record, name, message in import_problems(session, pending, team_id=team_id,
                                                  today=today):
        problems.setdefault(name, []).append(message)
    raise_problems(problems)
    added: dict[str, dict[Any, Any]] = {"child": {}, "plan": {}}
    for table, model, parent_table, parent_column in (
            ("child", Child, None, None), ("plan", Plan, "child", "child_id"),
            ("review", Review, "plan", "plan_id")):
        for record in pending:
            if record.table != table:
                continue
            if record.existing is not None:
                for attribute, value in record.values.items():
                    setattr(record.existing, attribute, value)
                continue
            values = dict(record.values)
            if parent_table is None:
                values["team_id"] = team_id
            else:
                parent = record.parent or added[parent_table][record.parent_key]
                values[parent_column] = parent.id
            new = model(**values)
            session.add(new)
            if table in added:
                added[table][record.key] = new
        # Set by id rather than through relationships: thousands of new rows would otherwise
        # each fire collection events on their parent. Flushing gives the next table its ids.
        session.flush()
    audit.record("import.applied", detail={**counts, "team_id": team_id}, actor=actor,
                 session=session)
