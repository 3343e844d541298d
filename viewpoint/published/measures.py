"""The measures dashboards publish, read from released periods' protected counts.

Everything a page shows comes from here as a :class:`Figure` that is shown, withheld, empty
or not yet published; templates, charts and CSV files only format what they are given, so no
view can show a number that disclosure control has not passed.

A period is published once it has ended and settled (``releases.py``); until then its
figures are "not yet published", never partial. The counts of a released period are
multiples of 5 that add up (``disclosure.py``), so every figure, for any choice of plans,
breakdown or group, is a sum of them, and every share is worked out from those sums. A
group's share is withheld when fewer than the threshold of children are counted in it: a
share of a handful of children says more about who they are than about how children feel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    CoverageTotal,
    EthnicityGroup,
    Gender,
    IndicatorTotal,
    PlacementType,
    PlanKind,
    PublishedCoverage,
    PublishedIndicator,
    Release,
    Team,
)
from ..operations.totals import COVERAGE_STATUSES, NO_PLACEMENT
from ..periods import QUARTER, Period, quarter_of, quarters_ending, uk_date, year_of
from ..questionnaires import BANDS, Catalogue
from .disclosure import percent
from .releases import is_published, publish, publishes_on

KINDS = tuple(kind.value for kind in PlanKind)

#: The plan choices on offer, and the plan kinds each covers: all plans, the two families
#: of plans, and each kind on its own.
PLAN_SETS: dict[str, tuple[str, ...]] = {
    "all": KINDS,
    "in_care": ("care_plan", "pathway_plan"),
    "protection": ("child_protection", "child_in_need"),
    **{kind: (kind,) for kind in KINDS},
}
PLAN_SET_LABELS = {
    "all": _l("All plans"),
    "in_care": _l("Children in care and care leavers"),
    "protection": _l("Child protection and child in need"),
    **dict(PlanKind.labelled()),
}

#: Breakdowns on offer, in the order the form lists them.
BREAKDOWNS = ("band", "plan_kind", "gender", "ethnicity_group", "placement", "team")
BREAKDOWN_LABELS = {
    "band": _l("Age band"),
    "plan_kind": _l("Kind of plan"),
    "gender": _l("Gender"),
    "ethnicity_group": _l("Ethnicity group"),
    "placement": _l("Where they live"),
    "team": _l("Team"),
}
GROUP_LABELS = {
    ("gender", "another_or_not_recorded"): _l("Another gender or not recorded"),
    ("ethnicity_group", "other_or_not_recorded"): _l("Other ethnic group or not recorded"),
    ("placement", "other"): _l("Other (including secure)"),
}
#: How many quarters a trend shows.
TREND_QUARTERS = 8

SHOWN, WITHHELD, EMPTY, PENDING = "shown", "withheld", "empty", "pending"


@dataclass(frozen=True)
class Counts:
    """Published (protected) counts for one group: multiples of 5, never exact ones."""

    positive: int = 0
    not_positive: int = 0
    declined_or_skipped: int = 0

    @property
    def answered(self) -> int:
        return self.positive + self.not_positive

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.positive + other.positive, self.not_positive + other.not_positive,
                      self.declined_or_skipped + other.declined_or_skipped)

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.positive - other.positive, self.not_positive - other.not_positive,
                      self.declined_or_skipped - other.declined_or_skipped)


@dataclass(frozen=True)
class Figure:
    """One measure for one group: the share answering positively of about how many.

    ``state`` is :data:`SHOWN`, :data:`WITHHELD` (too few children to show a share),
    :data:`EMPTY` (nobody answered) or :data:`PENDING` (the period is not published yet);
    numbers are None unless shown (``answered`` is 0 when empty).
    """

    state: str
    answered: int | None = None
    share: int | None = None

    @classmethod
    def of(cls, counts: Counts | None, threshold: int) -> Figure:
        if counts is None or counts.answered <= 0:
            return cls(EMPTY, answered=0)
        if counts.answered < threshold:
            return cls(WITHHELD)
        return cls(SHOWN, answered=counts.answered,
                   share=percent(counts.positive, counts.answered))

    @property
    def shown(self) -> bool:
        return self.state == SHOWN

    @property
    def withheld(self) -> bool:
        return self.state == WITHHELD

    @property
    def pending(self) -> bool:
        return self.state == PENDING

    @property
    def in_ten(self) -> int | None:
        """The share as "about N in 10", for the Children in Care Council."""
        return None if self.share is None else (self.share + 5) // 10


NOT_YET = Figure(PENDING)

Key = tuple[str, str, str]  # (plan choice, dimension, value); ("all", "all") is everyone


@dataclass
class Lattice:
    """Every group's published counts for one indicator in one period."""

    counts: dict[Key, Counts]
    threshold: int
    published: bool = True

    def counts_of(self, plans: str, dimension: str = "all", value: str = "all") -> Counts:
        return self.counts.get(_normal(plans, dimension, value)) or Counts()

    def figure(self, plans: str, dimension: str = "all", value: str = "all") -> Figure:
        if not self.published:
            return NOT_YET
        return Figure.of(self.counts.get(_normal(plans, dimension, value)), self.threshold)

    def values(self, dimension: str) -> list[str]:
        """The values a breakdown takes anywhere in this lattice, in display order."""
        if dimension == "plan_kind":
            return list(KINDS)
        found = {value for (_plans, dim, value) in self.counts if dim == dimension}
        return sorted(found, key=lambda v: _order(dimension, v))


def _normal(plans: str, dimension: str, value: str) -> Key:
    # "All plans broken down by kind of plan: care plans" is the same group of children as
    # "care plans, everyone".
    if dimension == "plan_kind":
        return (value if value in PLAN_SETS[plans] else "none", "all", "all")
    return (plans, dimension, value)


def _order(dimension: str, value: str) -> tuple[int, str]:
    orders: dict[str, Sequence[str]] = {
        "band": list(BANDS), "plan_kind": KINDS,
        "gender": [*Gender, "another_or_not_recorded"],
        "ethnicity_group": [*EthnicityGroup, "other_or_not_recorded"],
        "placement": [*PlacementType, NO_PLACEMENT],
    }
    order = orders.get(dimension)
    if order and value in order:
        return (list(order).index(value), value)
    return (len(order or ()), value.zfill(12))


def build_lattice(rows: Iterable[Any], threshold: int, published: bool = True) -> Lattice:
    """A lattice from one indicator's ``published_indicator`` rows in one period: every plan
    choice's counts are the sums of its plan kinds'."""
    counts: dict[Key, Counts] = defaultdict(Counts)
    for row in rows:
        cell = Counts(row.positive, row.not_positive, row.declined_or_skipped)
        for plans, kinds in PLAN_SETS.items():
            if row.plan_kind in kinds:
                counts[(plans, row.dimension, row.value)] += cell
    return Lattice(dict(counts), threshold, published)


class Measures:
    """What the dashboards can show, read once per page: a few queries on the released
    figures. Reading a period that is due but not yet released releases it first."""

    def __init__(self, session: Session, catalogue: Catalogue, threshold: int,
                 today: date | None = None,
                 before_writing: Callable[[], None] | None = None) -> None:
        self.session = session
        self.catalogue = catalogue
        self.threshold = threshold
        self.today = today or uk_date(datetime.now(UTC))
        #: Called before a period is published (a page that reads has to start writing):
        #: the web app passes ``db.take_write_lock`` so that SQLite queues the write.
        self.before_writing = before_writing
        self._lattices: dict[tuple[Period, str], Lattice] = {}
        self._released: set[Period] = set()
        self._team_names: dict[str, str] | None = None

    # --- periods ---

    def periods_with_data(self) -> list[Period]:
        """Years and quarters with any response counted or review held, newest first,
        published or not."""
        found = {Period(kind, start) for start, kind in self.session.execute(
            select(IndicatorTotal.period_start, IndicatorTotal.period_kind).distinct())}
        for (start,) in self.session.execute(select(CoverageTotal.quarter_start).distinct()):
            found |= {Period(QUARTER, start), year_of(start)}
        return sorted(found, reverse=True)

    def is_published(self, period: Period) -> bool:
        return is_published(period, self.today)

    def publishes_on(self, period: Period) -> date:
        return publishes_on(period)

    def release(self, periods: Iterable[Period]) -> None:
        """Make sure every published one of ``periods`` has its figures stored."""
        due = {p for p in periods if self.is_published(p)} - self._released
        if not due:
            return
        missing = due - self._stored(due)
        if missing and self.before_writing is not None:
            self.before_writing()
            missing = due - self._stored(due)  # someone may have published them meanwhile
        for period in sorted(missing):
            publish(self.session, period)
        self._released |= due

    def _stored(self, periods: set[Period]) -> set[Period]:
        return {Period(kind, start) for kind, start in self.session.execute(
            select(Release.period_kind, Release.period_start).where(
                Release.period_start.in_(sorted({p.start for p in periods}))))}

    # --- indicators ---

    def lattices(self, periods: Sequence[Period], indicators: Sequence[str]) -> None:
        """Load (once) every group's counts of these indicators in these periods."""
        wanted = [(p, i) for p in periods for i in indicators if (p, i) not in self._lattices]
        if not wanted:
            return
        published = [p for p in {p for p, _ in wanted} if self.is_published(p)]
        self.release(published)
        rows: dict[tuple[Period, str], list[Any]] = defaultdict(list)
        table = PublishedIndicator.__table__
        for kind in {p.kind for p in published}:
            starts = sorted({p.start for p in published if p.kind == kind})
            names = sorted({i for p, i in wanted if p.kind == kind})
            for row in self.session.execute(select(table).where(
                    table.c.period_kind == kind, table.c.period_start.in_(starts),
                    table.c.indicator.in_(names))):
                rows[(Period(kind, row.period_start), row.indicator)].append(row)
        for key in wanted:
            self._lattices[key] = build_lattice(rows.get(key, []), self.threshold,
                                                self.is_published(key[0]))

    def lattice(self, period: Period, indicator: str) -> Lattice:
        self.lattices([period], [indicator])
        return self._lattices[(period, indicator)]

    def headline(self, period: Period, plans: str) -> list[HeadlineRow]:
        """Every indicator for one period and plan choice, in the definitions' order."""
        indicators = list(self.catalogue.indicators)
        self.lattices([period], indicators)
        rows = []
        for indicator in indicators:
            lattice = self.lattice(period, indicator)
            rows.append(HeadlineRow(
                indicator=indicator, label=self.catalogue.indicators[indicator].label,
                theme=self.catalogue.indicators[indicator].theme,
                figure=lattice.figure(plans),
                declined_or_skipped=(lattice.counts_of(plans).declined_or_skipped
                                     if lattice.published else None)))
        return rows

    def trend(self, last: Period, plans: str, indicator: str) -> list[tuple[Period, Figure]]:
        """The indicator in each of the :data:`TREND_QUARTERS` quarters up to the end of
        ``last``, or up to this quarter if ``last`` has not ended (no empty future
        quarters). Quarters not yet published are there, as not yet published."""
        final = min(last.end - timedelta(days=1), self.today)
        quarters = quarters_ending(quarter_of(final), TREND_QUARTERS)
        self.lattices(quarters, [indicator])
        return [(quarter, self.lattice(quarter, indicator).figure(plans)) for quarter in quarters]

    def breakdown(self, period: Period, plans: str, indicator: str,
                  dimension: str) -> list[tuple[str, Figure]]:
        """The indicator for each value of a breakdown within a plan choice; values with no
        children in the choice (a placement for child protection plans) are left out."""
        lattice = self.lattice(period, indicator)
        values = lattice.values(dimension)
        if dimension == "plan_kind":
            values = [kind for kind in values if kind in PLAN_SETS[plans]]
        figures = [(value, lattice.figure(plans, dimension, value)) for value in values]
        return [(value, figure) for value, figure in figures if figure.state != EMPTY]

    def group_against_rest(self, period: Period, plans: str, dimension: str,
                           value: str) -> list[GroupRow]:
        """Each indicator for one group and for everyone else in the same plan choice
        (the choice's published counts minus the group's)."""
        indicators = list(self.catalogue.indicators)
        self.lattices([period], indicators)
        rows = []
        for indicator in indicators:
            lattice = self.lattice(period, indicator)
            group = lattice.figure(plans, dimension, value)
            rest = NOT_YET
            if lattice.published:
                rest = Figure.of(lattice.counts_of(plans) - lattice.counts_of(
                    plans, dimension, value), self.threshold)
            rows.append(GroupRow(indicator=indicator,
                                 label=self.catalogue.indicators[indicator].label,
                                 group=group, rest=rest))
        return rows

    # --- coverage ---

    def coverage(self, period: Period, plans: str) -> Coverage:
        """Reviews held in ``period`` and whether the child's views were in, by team and by
        plan kind, within one plan choice (a year is the sum of its quarters)."""
        quarters = [q for q in quarters_ending(quarter_of(period.end - timedelta(days=1)), 4)
                    if period.start <= q.start] if period.kind != QUARTER else [period]
        if not self.is_published(period):
            return Coverage(total=CoverageFigure.pending(), by_team=[], by_kind=[],
                            team_names={}, published=False)
        self.release(quarters)
        table = PublishedCoverage.__table__
        cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in self.session.execute(select(table).where(
                table.c.quarter_start >= period.start, table.c.quarter_start < period.end)):
            counts = cells[(str(row.team_id), row.plan_kind)]
            for index, name in enumerate(COVERAGE_STATUSES):
                counts[index] += getattr(row, name)
        teams = sorted({team for team, _kind in cells}, key=lambda t: int(t))

        def figure(team_ids: Sequence[str], kinds: Sequence[str]) -> CoverageFigure:
            totals = [sum(cells[(t, k)][i] for t in team_ids for k in kinds if (t, k) in cells)
                      for i in range(len(COVERAGE_STATUSES))]
            return CoverageFigure.of(dict(zip(COVERAGE_STATUSES, totals, strict=True)),
                                     self.threshold)

        kinds = PLAN_SETS[plans]
        by_team = [(team, figure([team], kinds)) for team in teams]
        return Coverage(
            total=figure(teams, kinds),
            by_team=[(team, shown) for team, shown in by_team if shown.held != 0],
            by_kind=[(kind, figure(teams, [kind])) for kind in kinds] if len(kinds) > 1 else [],
            team_names={team: self.team_names().get(team, team) for team in teams})

    # --- labels ---

    def team_names(self) -> dict[str, str]:
        """Every team's name by its id as text, read once per page."""
        if self._team_names is None:
            self._team_names = {str(team_id): name for team_id, name in
                                self.session.execute(select(Team.id, Team.name))}
        return self._team_names

    def value_label(self, dimension: str, value: str) -> str:
        """How a breakdown's value reads on the page."""
        if dimension == "team":
            return self.team_names().get(value, value)
        return value_label(dimension, value)


def value_label(dimension: str, value: str) -> str:
    """How a breakdown's value reads on the page (teams: see :meth:`Measures.value_label`)."""
    if (dimension, value) in GROUP_LABELS:
        return str(GROUP_LABELS[(dimension, value)])
    if dimension == "band":
        return str(_l("Aged %(band)s", band=value))
    if dimension == "placement" and value == NO_PLACEMENT:
        return str(_l("No placement (child in need or protection)"))
    kind = _DIMENSION_ENUMS.get(dimension)
    if kind is not None and value in kind.__labels__:
        return kind(value).label
    return value


_DIMENSION_ENUMS: dict[str, Any] = {"plan_kind": PlanKind, "gender": Gender,
                                    "ethnicity_group": EthnicityGroup,
                                    "placement": PlacementType}


@dataclass(frozen=True)
class HeadlineRow:
    indicator: str
    label: str
    theme: str
    figure: Figure
    #: Children who chose "rather not say" or skipped it (rounded), None when withheld.
    declined_or_skipped: int | None


@dataclass(frozen=True)
class GroupRow:
    indicator: str
    label: str
    group: Figure
    rest: Figure


@dataclass(frozen=True)
class CoverageFigure:
    """Reviews held and what happened about the child's views (published counts, shares of
    them); None where withheld (fewer reviews than the threshold) or not yet published."""

    held: int | None
    views_before: int | None
    asked_no_views: int | None
    not_asked: int | None
    #: Whole percentages of the reviews held, None where withheld.
    shares: dict[str, int | None] = field(default_factory=dict)
    state: str = SHOWN

    @classmethod
    def of(cls, counts: Mapping[str, int], threshold: int) -> CoverageFigure:
        held = sum(counts.values())
        if held == 0:
            return cls(0, 0, 0, 0, {status: None for status in COVERAGE_STATUSES}, EMPTY)
        if held < threshold:
            return cls(None, None, None, None, {status: None for status in COVERAGE_STATUSES},
                       WITHHELD)
        return cls(held, *(counts[status] for status in COVERAGE_STATUSES),
                   shares={status: percent(counts[status], held)
                           for status in COVERAGE_STATUSES})

    @classmethod
    def pending(cls) -> CoverageFigure:
        return cls(None, None, None, None, {status: None for status in COVERAGE_STATUSES},
                   PENDING)

    @property
    def asked(self) -> int | None:
        if self.views_before is None or self.asked_no_views is None:
            return None
        return self.views_before + self.asked_no_views


@dataclass(frozen=True)
class Coverage:
    total: CoverageFigure
    by_team: list[tuple[str, CoverageFigure]]
    by_kind: list[tuple[str, CoverageFigure]]
    team_names: Mapping[str, str]
    published: bool = True
