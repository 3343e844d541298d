"""The measures dashboards publish, read from the totals and passed through disclosure control.

Everything a page shows comes from here as a :class:`Figure` that is either published or
withheld; templates, charts and CSV files only format what they are given, so no view can
show a number that disclosure control has not passed.

How cells are protected (see ``disclosure.py``): for one indicator in one period, every
group a person can ask for (plan filter x breakdown value) is a cell; the relations between
them (a filter's total is the sum of its plan kinds and of each breakdown's values) are
handed to :func:`~.disclosure.withhold` all at once, so whichever filters someone
combines, the same cells are withheld and nothing can be worked out by subtraction.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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
    Team,
)
from ..operations.totals import COVERAGE_STATUSES, NO_PLACEMENT
from ..periods import Period, quarter_of, quarters_ending
from ..questionnaires import BANDS, Catalogue
from .disclosure import Relation, rounded, withhold

KINDS = tuple(kind.value for kind in PlanKind)

#: The plan filters on offer, and the plan kinds each covers. Breakdowns are published for
#: these three only (and each plan kind's total): crossing every breakdown with every single
#: plan kind would cut groups so small that most figures would have to be withheld.
PLAN_SETS: dict[str, tuple[str, ...]] = {
    "all": KINDS,
    "in_care": ("care_plan", "pathway_plan"),
    "protection": ("child_protection", "child_in_need"),
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
#: Small categories are published together, as national statistics do, so that they can be
#: shown at all instead of taking their neighbours down with them.
PUBLISHED_AS = {
    "gender": {"another": "another_or_not_recorded", "not_recorded": "another_or_not_recorded"},
    "ethnicity_group": {"other": "other_or_not_recorded", "not_recorded": "other_or_not_recorded"},
    "placement": {"secure": "other"},
}
GROUP_LABELS = {
    ("gender", "another_or_not_recorded"): _l("Another gender or not recorded"),
    ("ethnicity_group", "other_or_not_recorded"): _l("Other ethnic group or not recorded"),
    ("placement", "other"): _l("Other (including secure)"),
}
#: How many quarters a trend shows.
TREND_QUARTERS = 8


@dataclass(frozen=True)
class Counts:
    """Children counted in one cell for one indicator (exact; never shown as they are)."""

    positive: int = 0
    not_positive: int = 0
    declined: int = 0
    skipped: int = 0
    scale_sum: int = 0
    scale_count: int = 0

    @property
    def answered(self) -> int:
        return self.positive + self.not_positive

    @property
    def asked(self) -> int:
        return self.answered + self.declined + self.skipped

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(a - b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple[int, ...]:
        return (self.positive, self.not_positive, self.declined, self.skipped, self.scale_sum,
                self.scale_count)


@dataclass(frozen=True)
class Figure:
    """One published measure for one group: what the share, count and mean come to.

    ``withheld`` is True when disclosure control keeps it back; then every number is None.
    Counts are rounded to the nearest 5; shares are whole percentages of exact counts.
    """

    withheld: bool
    answered: int | None = None
    share: int | None = None
    mean: float | None = None

    @classmethod
    def of(cls, counts: Counts | None, withheld: bool) -> Figure:
        if counts is None or counts.answered == 0:
            return cls(withheld=False, answered=0)
        if withheld:
            return cls(withheld=True)
        mean = (round(counts.scale_sum / counts.scale_count, 1) if counts.scale_count else None)
        return cls(withheld=False, answered=rounded(counts.answered),
                   share=percent(counts.positive, counts.answered), mean=mean)

    @property
    def shown(self) -> bool:
        return not self.withheld and bool(self.answered)


def percent(part: int, whole: int) -> int:
    """A whole percentage, halves rounded up (as people round, not as Python's round does)."""
    return int(100 * part / whole + 0.5)


Key = tuple[str, str, str]  # (plan set, dimension, value); ("all", "all") is everyone


@dataclass
class Lattice:
    """Every cell of one indicator in one period, and which are withheld."""

    counts: dict[Key, Counts]
    withheld: frozenset[Key]

    def figure(self, plans: str, dimension: str = "all", value: str = "all") -> Figure:
        key = _normal(plans, dimension, value)
        return Figure.of(self.counts.get(key), key in self.withheld)

    def values(self, dimension: str) -> list[str]:
        """The values a breakdown takes anywhere in this lattice, in display order."""
        if dimension == "plan_kind":
            return list(KINDS)
        found = {value for (_plans, dim, value) in self.counts if dim == dimension}
        return sorted(found, key=lambda v: _order(dimension, v))


def _normal(plans: str, dimension: str, value: str) -> Key:
    # "All plans broken down by kind of plan: care plans" is the same group of children as
    # "care plans, everyone": one cell, so one decision.
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


def build_lattice(rows: Iterable[Any], threshold: int) -> Lattice:
    """:func:`protect` for ``indicator_total`` rows, remembered: the same totals always give
    the same decisions, so a page asked for again does not repeat the work (the totals
    change only when children submit). Callers must not change the result."""
    return protect(tuple(sorted(
        (row.plan_kind, row.dimension, row.value, row.positive, row.not_positive, row.declined,
         row.skipped, row.scale_sum, row.scale_count) for row in rows)), threshold)


@functools.lru_cache(maxsize=4096)
def protect(rows: tuple[tuple[Any, ...], ...], threshold: int) -> Lattice:
    """Cells and relations for one indicator in one period, from its ``indicator_total`` rows.

    Published cells: each plan filter's total and its breakdowns, and each plan kind's
    total. Relations: a filter's total is the sum of each breakdown's values and of its plan
    kinds; "all plans" is the sum of the other two filters, value by value. Each plan kind's
    own breakdown is never published ("hidden"), but small ones are protected like any
    withheld figure.
    """
    counts: dict[Key, Counts] = defaultdict(Counts)
    values: dict[str, set[str]] = defaultdict(set)
    for plan_kind, dimension, raw, *numbers in rows:
        cell = Counts(*numbers)
        value = PUBLISHED_AS.get(dimension, {}).get(raw, raw)
        if dimension == "all":
            counts[(plan_kind, "all", "all")] += cell
        else:
            values[dimension].add(value)
            counts[(plan_kind, dimension, value)] += cell
        for plans, kinds in PLAN_SETS.items():
            if plan_kind in kinds:
                counts[(plans, dimension, value)] += cell
    relations: list[Relation] = [
        Relation(("all", "all", "all"), (("in_care", "all", "all"), ("protection", "all", "all"))),
        *(Relation((plans, "all", "all"), tuple((kind, "all", "all") for kind in kinds))
          for plans, kinds in PLAN_SETS.items() if plans != "all"),
    ]
    for dimension in BREAKDOWNS:
        if dimension == "plan_kind":
            continue
        ordered = sorted(values[dimension])
        relations.extend(Relation((plans, "all", "all"), tuple(
            (plans, dimension, value) for value in ordered)) for plans in PLAN_SETS)
        relations.extend(Relation(("all", dimension, value), (
            ("in_care", dimension, value), ("protection", dimension, value)))
            for value in ordered)
        # The plan kinds' own breakdowns are never shown, but they tie cells together that
        # could otherwise be the same children under two names (a team that only has care
        # leavers is "care leavers"), so disclosure control reasons with them too.
        relations.extend(Relation((kind, "all", "all"), tuple(
            (kind, dimension, value) for value in ordered)) for kind in KINDS)
        relations.extend(Relation((plans, dimension, value), tuple(
            (kind, dimension, value) for kind in kinds))
            for plans, kinds in PLAN_SETS.items() if plans != "all" for value in ordered)
    keys = {key for relation in relations for key in (relation.total, *relation.parts)}
    exact = {key: counts[key].answered if key in counts else 0 for key in keys}
    unpublished = {key for key in keys if key[0] in KINDS and key[1] != "all"}
    primary = {key for key, answered in exact.items() if 0 < answered < threshold}
    return Lattice(dict(counts), withhold(exact, relations, primary=primary, protect=threshold,
                                          hidden=unpublished - primary))


class Measures:
    """What the dashboards can show, read once per page: a few queries on the totals tables."""

    def __init__(self, session: Session, catalogue: Catalogue, threshold: int) -> None:
        self.session = session
        self.catalogue = catalogue
        self.threshold = threshold
        self._lattices: dict[tuple[Period, str], Lattice] = {}
        self._team_names: dict[str, str] | None = None

    # --- periods ---

    def periods_with_data(self) -> list[Period]:
        """Years and quarters with any response counted, newest first."""
        rows = self.session.execute(select(IndicatorTotal.period_start,
                                           IndicatorTotal.period_kind).distinct()).all()
        return sorted((Period(kind, start) for start, kind in rows), reverse=True)

    # --- indicators ---

    def lattices(self, periods: Sequence[Period], indicators: Sequence[str]) -> None:
        """Load (once) and protect every cell of these indicators in these periods."""
        wanted = [(p, i) for p in periods for i in indicators if (p, i) not in self._lattices]
        if not wanted:
            return
        rows: dict[tuple[Period, str], list[Any]] = defaultdict(list)
        table = IndicatorTotal.__table__
        for kind in {p.kind for p, _ in wanted}:
            starts = sorted({p.start for p, _ in wanted if p.kind == kind})
            names = sorted({i for p, i in wanted if p.kind == kind})
            for row in self.session.execute(select(table).where(
                    table.c.period_kind == kind, table.c.period_start.in_(starts),
                    table.c.indicator.in_(names))):
                rows[(Period(kind, row.period_start), row.indicator)].append(row)
        for key in wanted:
            self._lattices[key] = build_lattice(rows.get(key, []), self.threshold)

    def lattice(self, period: Period, indicator: str) -> Lattice:
        self.lattices([period], [indicator])
        return self._lattices[(period, indicator)]

    def headline(self, period: Period, plans: str) -> list[HeadlineRow]:
        """Every indicator for one period and plan filter, in the definitions' order."""
        indicators = list(self.catalogue.indicators)
        self.lattices([period], indicators)
        declined = self._declined_or_skipped(period, indicators)
        return [HeadlineRow(indicator=indicator,
                            label=self.catalogue.indicators[indicator].label,
                            theme=self.catalogue.indicators[indicator].theme,
                            figure=self.lattice(period, indicator).figure(plans),
                            declined_or_skipped=declined[indicator].get(plans))
                for indicator in indicators]

    def _declined_or_skipped(self, period: Period,
                             indicators: Sequence[str]) -> dict[str, dict[str, int | None]]:
        """Children who chose "rather not say" or skipped, per plan filter (rounded; None when
        withheld). Counts from 1 to 5 are withheld, with a second where a total would tell."""
        result: dict[str, dict[str, int | None]] = {}
        relations = [Relation("all", ("in_care", "protection")),
                     *(Relation(plans, kinds) for plans, kinds in PLAN_SETS.items()
                       if plans != "all")]
        for indicator in indicators:
            lattice = self.lattice(period, indicator)
            exact = {}
            for plans in [*PLAN_SETS, *KINDS]:
                cell = lattice.counts.get((plans, "all", "all")) or Counts()
                exact[plans] = cell.declined + cell.skipped
            primary = {plans for plans, value in exact.items() if 0 < value <= 5
                       or (plans, "all", "all") in lattice.withheld}
            held_back = withhold(exact, relations, primary=primary, protect=6)
            result[indicator] = {plans: None if plans in held_back else rounded(value)
                                 for plans, value in exact.items()}
        return result

    def trend(self, last: Period, plans: str, indicator: str,
              today: date | None = None) -> list[tuple[Period, Figure]]:
        """The indicator in each of the :data:`TREND_QUARTERS` quarters up to the end of
        ``last``, or up to this quarter if ``last`` has not ended (no empty future quarters)."""
        final = min(last.end - timedelta(days=1), today or date.today())
        quarters = quarters_ending(quarter_of(final), TREND_QUARTERS)
        self.lattices(quarters, [indicator])
        return [(quarter, self.lattice(quarter, indicator).figure(plans)) for quarter in quarters]

    def breakdown(self, period: Period, plans: str, indicator: str,
                  dimension: str) -> list[tuple[str, Figure]]:
        """The indicator for each value of a breakdown within a plan filter; values with no
        children in the filter (a placement for child protection plans) are left out."""
        lattice = self.lattice(period, indicator)
        values = lattice.values(dimension)
        if dimension == "plan_kind":
            values = [kind for kind in values if kind in PLAN_SETS[plans]]
        figures = [(value, lattice.figure(plans, dimension, value)) for value in values]
        return [(value, figure) for value, figure in figures if figure.withheld or figure.answered]

    def group_against_rest(self, period: Period, plans: str, dimension: str,
                           value: str) -> list[GroupRow]:
        """Each indicator for one group and for everyone else in the same plan filter.

        "Everyone else" is the filter's total minus the group, so it is shown only when both
        are published (then it is at least the threshold, see ``disclosure.py``).
        """
        indicators = list(self.catalogue.indicators)
        self.lattices([period], indicators)
        rows = []
        for indicator in indicators:
            lattice = self.lattice(period, indicator)
            key = _normal(plans, dimension, value)
            total_key = (plans, "all", "all")
            group = lattice.figure(plans, dimension, value)
            everyone = lattice.figure(plans)
            rest = Figure(withheld=True)
            if not group.withheld and not everyone.withheld:
                rest = Figure.of((lattice.counts.get(total_key) or Counts())
                                 - (lattice.counts.get(key) or Counts()), False)
            rows.append(GroupRow(indicator=indicator,
                                 label=self.catalogue.indicators[indicator].label,
                                 group=group, rest=rest))
        return rows

    # --- coverage ---

    def coverage(self, period: Period, plans: str) -> Coverage:
        """Reviews held in ``period`` and whether the child's views were in, by team and by
        plan kind, within one plan filter."""
        table = CoverageTotal.__table__
        cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for row in self.session.execute(select(table).where(
                table.c.quarter_start >= period.start, table.c.quarter_start < period.end)):
            counts = cells[(str(row.team_id), row.plan_kind)]
            for index, name in enumerate(("held", *COVERAGE_STATUSES)):
                counts[index] += getattr(row, name)
        teams = sorted({team for team, _kind in cells}, key=lambda t: int(t))
        return _protect_coverage(cells, teams, plans, self.threshold,
                                 {team: self.team_names().get(team, team) for team in teams})

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
    """Reviews held and what happened about the child's views; None where withheld."""

    held: int | None
    views_before: int | None
    asked_no_views: int | None
    not_asked: int | None
    #: Exact shares of the reviews held (whole percentages), None where withheld.
    shares: dict[str, int | None] = field(default_factory=dict)

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


def _protect_coverage(cells: Mapping[tuple[str, str], list[int]], teams: list[str], plans: str,
                      threshold: int, team_names: Mapping[str, str]) -> Coverage:
    """Withhold coverage counts: reviews held below the threshold, any count from 1 to 5, and
    whatever else it takes so that none can be worked out from the margins."""
    kinds = PLAN_SETS[plans]
    quantities = ("held", *COVERAGE_STATUSES)
    columns: dict[str, tuple[str, ...]] = {**PLAN_SETS, **{kind: (kind,) for kind in KINDS}}
    exact: dict[tuple[str, str, str], int] = {}
    # Rows: each team and "all"; columns: each plan filter and each plan kind.
    for team in [*teams, "all"]:
        for column, column_kinds in columns.items():
            for index, quantity in enumerate(quantities):
                exact[(team, column, quantity)] = sum(
                    cells[(t, k)][index] for t in (teams if team == "all" else [team])
                    for k in column_kinds if (t, k) in cells)
    relations: list[Relation] = []
    for team in [*teams, "all"]:
        for column in columns:
            relations.append(Relation((team, column, "held"), tuple(
                (team, column, status) for status in COVERAGE_STATUSES)))
        for quantity in quantities:
            relations.append(Relation((team, "all", quantity), (
                (team, "in_care", quantity), (team, "protection", quantity))))
            relations.extend(Relation((team, column, quantity), tuple(
                (team, kind, quantity) for kind in PLAN_SETS[column]))
                for column in ("in_care", "protection"))
    for column in columns:
        relations.extend(Relation(("all", column, quantity), tuple(
            (team, column, quantity) for team in teams)) for quantity in quantities)
    primary = {key for key, value in exact.items()
               if (key[2] == "held" and value < threshold) or 0 < value <= 5
               or exact[(key[0], key[1], "held")] < threshold}
    held_back = withhold(exact, relations, primary=primary, protect=threshold)

    def figure(team: str, plan_set: str) -> CoverageFigure:
        shown = {q: None if (team, plan_set, q) in held_back else exact[(team, plan_set, q)]
                 for q in quantities}
        held = shown["held"]
        shares = {q: (percent(shown[q], held) if held and shown[q] is not None else None)
                  for q in COVERAGE_STATUSES}
        return CoverageFigure(**{q: None if v is None else rounded(v) for q, v in shown.items()},
                              shares=shares)

    by_team = [(team, figure(team, plans)) for team in teams
               if exact[(team, plans, "held")] > 0]
    by_kind = [(kind, figure("all", kind)) for kind in kinds]
    return Coverage(total=figure("all", plans), by_team=by_team, by_kind=by_kind,
                    team_names=team_names)

