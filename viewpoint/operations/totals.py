"""Keeping the dashboards' totals up to date, so that no page ever reads answers.

Two kinds of totals:

- **Indicator totals** (``indicator_total``): when a child finishes a questionnaire, what each
  indicator came to is added under the period, plan kind and each breakdown. A child
  counts once per period, by their latest response in it: when a second response arrives
  in the same quarter, the first one's contribution is taken away again.
- **Coverage totals** (``coverage_total``): for every review that has been held, whether the
  child's views were in by the day, asked for but not in, or never asked for. Reviews,
  codes and responses change in many places (forms, imports, the child's pages), so the
  reviews touched in a transaction are recounted just before it commits (:func:`watch`).

Both are additive: :class:`Tally` collects changes, then writes them in one statement.
``viewpoint dashboards rebuild`` recomputes everything from the source records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import (
    Answer,
    Child,
    CoverageTotal,
    DashboardEntry,
    IndicatorTotal,
    Invitation,
    Plan,
    Release,
    Response,
    Review,
    ReviewCoverage,
    stored_value,
)
from ..periods import QUARTER, YEAR, period_of, quarter_of, uk_date, uk_midnight_after
from ..questionnaires.snapshot import Snapshot, snapshot_of

OUTCOMES = ("positive", "not_positive", "declined", "skipped")
#: The breakdowns every indicator total is kept by (besides "all").
DIMENSIONS = ("band", "gender", "ethnicity_group", "placement", "team")
#: Placement recorded for plans that have none (child in need, child protection).
NO_PLACEMENT = "none"
#: What a held review's status can be.
COVERAGE_STATUSES = ("views_before", "asked_no_views", "not_asked")

#: Each outcome's count, the scale's sum and count, then each outcome's sum of record keys.
_INDICATOR_COUNTS = (*OUTCOMES, "scale_sum", "scale_count",
                     *(f"{outcome}_key" for outcome in OUTCOMES))
_OUTCOME_INDEX = {outcome: index for index, outcome in enumerate(OUTCOMES)}
_KEY_OFFSET = len(OUTCOMES) + 2
_COVERAGE_COUNTS = ("held", *COVERAGE_STATUSES, *(f"{status}_key" for status in COVERAGE_STATUSES))


def indicator_outcomes(snapshot: Snapshot,
                       answers: Mapping[str, tuple[Any, bool]]) -> dict[str, list[Any]]:
    """What each indicator in a questionnaire snapshot came to, from the answers given.

    ``answers`` maps question keys to ``(value, declined)``. Questions hidden by their
    ``show_if`` were not asked and count for nothing; asked and unanswered is "skipped".
    Returns indicator id -> [outcome, scale value or None].
    """
    given = {key: value for key, (value, _declined) in answers.items()}
    result: dict[str, list[Any]] = {}
    for question in snapshot.indicator_questions():
        indicator, key = question["indicator"], question["key"]
        if indicator in result or not snapshot.is_shown(key, given):
            continue
        if key not in answers:
            result[indicator] = ["skipped", None]
            continue
        value, declined = answers[key]
        if declined:
            result[indicator] = ["declined", None]
            continue
        good = snapshot.is_positive(key, value)
        scale = value if question["type"] == "scale" and isinstance(value, int) else None
        result[indicator] = ["positive" if good else "not_positive", scale]
    return result


@dataclass
class Entry:
    """A response as counted: the child's circumstances and the indicators' outcomes."""

    response_id: int
    child_id: int
    submitted_on: date
    band: str
    plan_kind: str
    gender: str
    ethnicity_group: str
    placement: str
    team_id: int
    outcomes: dict[str, list[Any]]
    #: The child's record key (see ``Child.record_key``).
    record_key: int = 0
    counted_in_quarter: bool = True
    counted_in_year: bool = True

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "response_id", "child_id", "submitted_on", "band", "plan_kind", "gender",
            "ethnicity_group", "placement", "team_id", "counted_in_quarter", "counted_in_year",
            "outcomes", "record_key")}

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        return cls(**{name: getattr(row, name) for name in (
            "response_id", "child_id", "submitted_on", "band", "plan_kind", "gender",
            "ethnicity_group", "placement", "team_id", "outcomes", "counted_in_quarter",
            "counted_in_year", "record_key")})

    def breakdown_values(self) -> tuple[str, ...]:
        """The entry's value in each of :data:`DIMENSIONS`, in order."""
        return (self.band, self.gender, self.ethnicity_group, self.placement, str(self.team_id))


def mark_latest(entries: list[Entry]) -> None:
    """Set the counted flags on one child's entries: the latest in each period counts."""
    for kind, flag in ((QUARTER, "counted_in_quarter"), (YEAR, "counted_in_year")):
        latest: dict[Any, Entry] = {}
        for entry in sorted(entries, key=lambda e: (e.submitted_on, e.response_id)):
            latest[period_of(kind, entry.submitted_on)] = entry
        counted = {id(entry) for entry in latest.values()}
        for entry in entries:
            setattr(entry, flag, id(entry) in counted)


class Tally:
    """Additions to the totals, keyed like the tables' primary keys.

    Entries are first added up by the child's whole profile (period, plan kind, band,
    gender, ethnicity, placement, team), and spread over the breakdowns only when the rows
    are written: a million responses share a few thousand profiles.
    """

    def __init__(self) -> None:
        self.profiles: dict[tuple[Any, ...], dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0] * len(_INDICATOR_COUNTS)))
        self.coverage: dict[tuple[Any, ...], list[int]] = defaultdict(
            lambda: [0] * len(_COVERAGE_COUNTS))

    def count_entry(self, entry: Entry, kind: str, sign: int = 1) -> None:
        """Add (or with ``sign=-1`` take away) one entry's outcomes for one period kind."""
        profile = self.profiles[(kind, period_of(kind, entry.submitted_on).start,
                                 entry.plan_kind, *entry.breakdown_values())]
        for indicator, (outcome, scale) in entry.outcomes.items():
            counts = profile[indicator]
            counts[_OUTCOME_INDEX[outcome]] += sign
            counts[_KEY_OFFSET + _OUTCOME_INDEX[outcome]] += sign * entry.record_key
            if scale is not None:
                counts[4] += sign * scale
                counts[5] += sign

    def indicator_totals(self) -> dict[tuple[Any, ...], list[int]]:
        """The profiles spread over "all" and every breakdown."""
        totals: dict[tuple[Any, ...], list[int]] = defaultdict(
            lambda: [0] * len(_INDICATOR_COUNTS))
        for (kind, start, plan_kind, *values), indicators in self.profiles.items():
            cells = [("all", "all"), *zip(DIMENSIONS, values, strict=True)]
            for indicator, counts in indicators.items():
                for dimension, value in cells:
                    total = totals[(kind, start, indicator, plan_kind, dimension, value)]
                    for index, count in enumerate(counts):
                        total[index] += count
        return totals

    def count_review(self, quarter_start: date, team_id: int, plan_kind: str, status: str,
                     record_key: int, sign: int = 1) -> None:
        counts = self.coverage[(quarter_start, team_id, plan_kind)]
        counts[0] += sign
        counts[1 + COVERAGE_STATUSES.index(status)] += sign
        counts[1 + len(COVERAGE_STATUSES) + COVERAGE_STATUSES.index(status)] += sign * record_key

    def indicator_rows(self) -> list[dict[str, Any]]:
        names = ("period_kind", "period_start", "indicator", "plan_kind", "dimension", "value")
        return [dict(zip(names, key, strict=True)) | dict(zip(_INDICATOR_COUNTS, counts,
                                                              strict=True))
                for key, counts in sorted(self.indicator_totals().items()) if any(counts)]

    def coverage_rows(self) -> list[dict[str, Any]]:
        names = ("quarter_start", "team_id", "plan_kind")
        return [dict(zip(names, key, strict=True)) | dict(zip(_COVERAGE_COUNTS, counts,
                                                              strict=True))
                for key, counts in sorted(self.coverage.items()) if any(counts)]

    def apply(self, session: Session) -> None:
        """Add the tally to the stored totals (creating rows as needed).

        Rows are written in key order, so two transactions counting at once on PostgreSQL
        wait for each other instead of deadlocking.
        """
        dialect = session.get_bind().dialect.name
        for model, rows, counts in ((IndicatorTotal, self.indicator_rows(), _INDICATOR_COUNTS),
                                    (CoverageTotal, self.coverage_rows(), _COVERAGE_COUNTS)):
            if not rows:
                continue
            table = model.__table__
            statement = (postgresql.insert(table) if dialect == "postgresql"
                         else sqlite.insert(table))
            keys = [column.name for column in table.primary_key.columns]
            statement = statement.on_conflict_do_update(
                index_elements=keys,
                set_={name: table.c[name] + statement.excluded[name] for name in counts})
            session.execute(statement, rows)


# --- indicator totals: when a response is submitted ---

def entry_for(session: Session, response: Response) -> Entry:
    """The entry for a submitted ``response``, from its answers and the child's record now."""
    snapshot = snapshot_of(session, response.questionnaire_version_id)
    answers = {key: (stored_value(value, declined), declined) for key, value, declined in
               session.execute(select(Answer.question_key, Answer.value, Answer.declined)
                               .where(Answer.response_id == response.id))}
    child = session.get(Child, response.child_id)
    plan = session.get(Plan, response.plan_id)
    assert child is not None and plan is not None and response.submitted_at is not None
    return Entry(response_id=response.id, child_id=child.id,
                 submitted_on=uk_date(response.submitted_at), band=response.band,
                 plan_kind=plan.kind.value, gender=child.gender.value,
                 ethnicity_group=child.ethnicity_group.value,
                 placement=plan.placement_type.value if plan.placement_type else NO_PLACEMENT,
                 team_id=child.team_id, outcomes=indicator_outcomes(snapshot, answers),
                 record_key=child.record_key)


def count_response(session: Session, response: Response) -> None:
    """Add a just-submitted response to the indicator totals (once: a second call does nothing).

    If the child already had a response counted in the same quarter or year, that one
    stops counting there: each child counts once per period, by what they said last.
    """
    # Two tablets finishing for the same child at once (PostgreSQL) take turns here, so the
    # second sees the first one's entry; SQLite's single writer already does.
    session.execute(select(Child.id).where(Child.id == response.child_id).with_for_update())
    if session.get(DashboardEntry, response.id) is not None:
        return
    entry = entry_for(session, response)
    tally = Tally()
    for kind, flag in ((QUARTER, "counted_in_quarter"), (YEAR, "counted_in_year")):
        period = period_of(kind, entry.submitted_on)
        column = getattr(DashboardEntry, flag)
        earlier = session.execute(select(DashboardEntry).where(
            DashboardEntry.child_id == entry.child_id, column.is_(True),
            DashboardEntry.submitted_on >= period.start,
            DashboardEntry.submitted_on < period.end)).scalars().all()
        for previous in earlier:
            tally.count_entry(Entry.from_row(previous), kind, -1)
            setattr(previous, flag, False)
        tally.count_entry(entry, kind)
    session.add(DashboardEntry(**entry.row()))
    session.flush()
    tally.apply(session)


# --- coverage totals: whenever a review, a code or a response changes ---

def review_statuses(session: Session, review_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """(quarter start, team id, plan kind, status, the child's record key) for each held review
    among ``review_ids``."""
    ids = sorted(set(review_ids))
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        held = session.execute(
            select(Review.id, Review.held_on, Plan.kind, Child.team_id, Child.record_key)
            .join(Plan, Plan.id == Review.plan_id).join(Child, Child.id == Plan.child_id)
            .where(Review.id.in_(chunk), Review.held_on.is_not(None))).all()
        if not held:
            continue
        asked = dict(session.execute(
            select(Invitation.review_id, func.min(Invitation.issued_at))
            .where(Invitation.review_id.in_(chunk)).group_by(Invitation.review_id)).all())
        answered = dict(session.execute(
            select(Response.review_id, func.min(Response.submitted_at))
            .where(Response.review_id.in_(chunk), Response.submitted_at.is_not(None))
            .group_by(Response.review_id)).all())
        for review_id, held_on, kind, team_id, record_key in held:
            found[review_id] = (quarter_of(held_on).start, team_id, kind.value,
                                coverage_status(held_on, asked.get(review_id),
                                                answered.get(review_id)), record_key)
    return found


def coverage_status(held_on: date, first_issued: datetime | None,
                    first_submitted: datetime | None) -> str:
    """Whether the child's views were in by the end of the day the review was held."""
    deadline = uk_midnight_after(held_on)
    if first_submitted is not None and first_submitted < deadline:
        return "views_before"
    if first_issued is not None and first_issued < deadline:
        return "asked_no_views"
    return "not_asked"


def recount_reviews(session: Session, review_ids: Iterable[int]) -> None:
    """Bring the coverage totals up to date for these reviews (held or not)."""
    ids = sorted(set(review_ids))
    if not ids:
        return
    # A review recorded as held while the child submits for it (PostgreSQL): one transaction
    # recounts after the other, never both from the same starting point.
    session.execute(select(Review.id).where(Review.id.in_(ids)).order_by(Review.id)
                    .with_for_update())
    now = review_statuses(session, ids)
    before = {row.review_id: row for row in session.execute(
        select(ReviewCoverage).where(ReviewCoverage.review_id.in_(ids))).scalars()}
    tally = Tally()
    for review_id in ids:
        old, new = before.get(review_id), now.get(review_id)
        old_key = ((old.quarter_start, old.team_id, old.plan_kind, old.status, old.record_key)
                   if old else None)
        if old_key == new:
            continue
        if old is not None:
            tally.count_review(*old_key, sign=-1)  # type: ignore[misc]
        if new is None:
            session.execute(delete(ReviewCoverage).where(ReviewCoverage.review_id == review_id))
            continue
        tally.count_review(*new)
        values = dict(zip(_REVIEW_COLUMNS, new, strict=True))
        if old is None:
            session.execute(insert(ReviewCoverage), [{"review_id": review_id, **values}])
        else:
            session.execute(update(ReviewCoverage)
                            .where(ReviewCoverage.review_id == review_id).values(**values))
    tally.apply(session)


_REVIEW_COLUMNS = ("quarter_start", "team_id", "plan_kind", "status", "record_key")
_PENDING = "viewpoint.reviews_to_recount"


def _changed(instance: Any, *names: str) -> bool:
    state = inspect(instance)
    return state.pending or any(state.attrs[name].history.has_changes() for name in names)


def _note_reviews(session: Session, _context: Any, _instances: Any) -> None:
    # Only what moves a review's status: a child's answer being saved must stay cheap.
    pending: set[int] = session.info.setdefault(_PENDING, set())
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, Review) and _changed(instance, "held_on", "plan_id"):
            if instance.id is not None:
                pending.add(instance.id)
            else:
                session.info.setdefault(_PENDING + ".new", []).append(instance)
        elif (isinstance(instance, Invitation) and _changed(instance, "review_id", "issued_at")
              or isinstance(instance, Response) and _changed(instance, "submitted_at")) \
                and instance.review_id is not None:
            pending.add(instance.review_id)


def _recount_before_commit(session: Session) -> None:
    if not (session.info.get(_PENDING) or session.info.get(_PENDING + ".new") or session.new
            or session.dirty):
        return  # nothing changed (a page that only reads): nothing to recount
    # Commit flushes after this event: flush first, so this transaction's changes are noted.
    session.flush()
    pending: set[int] = session.info.pop(_PENDING, set())
    pending.update(review.id for review in session.info.pop(_PENDING + ".new", [])
                   if review.id is not None)
    if pending:
        recount_reviews(session, pending)
        session.flush()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PENDING + ".new", None)


def watch(session_class: Any) -> None:
    """Recount coverage for every review touched in a transaction, just before it commits.

    Safe to call more than once (every app made in one process shares the session class).
    """
    for name, listener in (("before_flush", _note_reviews),
                           ("before_commit", _recount_before_commit),
                           ("after_rollback", _forget)):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener)


# --- rebuilding from the source records ---

def rebuild(session: Session, batch: int = 1000) -> dict[str, int]:
    """Recompute every total from responses, answers and reviews. Returns row counts.

    The totals of a published period are kept as they are: its figures never change, and
    the records they were counted from may since have been destroyed under the retention
    schedule (``operations/retention.py``), so counting them again would count fewer."""
    released = {(row.period_kind, row.period_start) for row in session.execute(
        select(Release.period_kind, Release.period_start))}
    released_quarters = {start for kind, start in released if kind == QUARTER}
    for kind, start in session.execute(select(IndicatorTotal.period_kind,
                                              IndicatorTotal.period_start).distinct()).all():
        if (kind, start) not in released:
            session.execute(delete(IndicatorTotal).where(IndicatorTotal.period_kind == kind,
                                                         IndicatorTotal.period_start == start))
    session.execute(delete(CoverageTotal).where(
        CoverageTotal.quarter_start.not_in(released_quarters or {date.min})))
    for model in (DashboardEntry, ReviewCoverage):
        session.execute(delete(model))
    snapshots: dict[int, Snapshot] = {}
    tally = Tally()
    entries_written = 0
    child_entries: list[Entry] = []

    def finish_child() -> None:
        nonlocal entries_written
        if not child_entries:
            return
        mark_latest(child_entries)
        for entry in child_entries:
            if entry.counted_in_quarter:
                tally.count_entry(entry, QUARTER)
            if entry.counted_in_year:
                tally.count_entry(entry, YEAR)
        session.execute(insert(DashboardEntry), [entry.row() for entry in child_entries])
        entries_written += len(child_entries)
        child_entries.clear()

    # A range of children at a time: memory stays flat however many responses there are.
    top = session.scalar(select(func.max(Response.child_id))) or 0
    for low in range(0, top + 1, batch):
        rows = session.execute(
            select(Response.id, Response.child_id, Response.submitted_at, Response.band,
                   Response.questionnaire_version_id, Plan.kind, Plan.placement_type,
                   Child.gender, Child.ethnicity_group, Child.team_id, Child.record_key)
            .join(Plan, Plan.id == Response.plan_id).join(Child, Child.id == Response.child_id)
            .where(Response.submitted_at.is_not(None), Response.child_id >= low,
                   Response.child_id < low + batch)
            .order_by(Response.child_id, Response.submitted_at, Response.id)).all()
        answers: dict[int, dict[str, tuple[Any, bool]]] = defaultdict(dict)
        ids = [row.id for row in rows]
        for first in range(0, len(ids), 5000):
            for response_id, key, value, declined in session.execute(
                    select(Answer.response_id, Answer.question_key, Answer.value,
                           Answer.declined)
                    .where(Answer.response_id.in_(ids[first:first + 5000]))):
                answers[response_id][key] = (stored_value(value, declined), declined)
        for row in rows:
            if child_entries and child_entries[-1].child_id != row.child_id:
                finish_child()
            if row.questionnaire_version_id not in snapshots:
                snapshots[row.questionnaire_version_id] = snapshot_of(
                    session, row.questionnaire_version_id)
            child_entries.append(Entry(
                response_id=row.id, child_id=row.child_id,
                submitted_on=uk_date(row.submitted_at), band=row.band,
                plan_kind=row.kind.value, gender=row.gender.value,
                ethnicity_group=row.ethnicity_group.value,
                placement=row.placement_type.value if row.placement_type else NO_PLACEMENT,
                team_id=row.team_id, record_key=row.record_key,
                outcomes=indicator_outcomes(snapshots[row.questionnaire_version_id],
                                            answers.get(row.id, {}))))
    finish_child()
    held = session.scalars(select(Review.id).where(Review.held_on.is_not(None))).all()
    coverage_rows = []
    for start in range(0, len(held), 5000):
        for review_id, key in review_statuses(session, held[start:start + 5000]).items():
            tally.count_review(*key)
            coverage_rows.append(dict(zip(("review_id", *_REVIEW_COLUMNS), (review_id, *key),
                                          strict=True)))
    if coverage_rows:
        session.execute(insert(ReviewCoverage), coverage_rows)
    indicator_rows = [row for row in tally.indicator_rows()
                      if (row["period_kind"], row["period_start"]) not in released]
    coverage_totals = [row for row in tally.coverage_rows()
                       if row["quarter_start"] not in released_quarters]
    if indicator_rows:
        session.execute(insert(IndicatorTotal), indicator_rows)
    if coverage_totals:
        session.execute(insert(CoverageTotal), coverage_totals)
    return {"dashboard_entry": entries_written, "indicator_total": len(indicator_rows),
            "review_coverage": len(coverage_rows), "coverage_total": len(coverage_totals)}
