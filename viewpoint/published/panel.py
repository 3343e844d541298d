"""What one dashboard shows: the choices read from an address (period, plans, measure,
breakdown, group) and the tables for them. The dashboards' pages draw charts beside these
tables and offer them as CSV files; the API gives the same tables as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ..periods import YEAR, Period, parse_period, year_of
from ..questionnaires import Catalogue
from . import tables
from .measures import (
    BREAKDOWN_LABELS,
    BREAKDOWNS,
    PLAN_SET_LABELS,
    PLAN_SETS,
    Coverage,
    Figure,
    GroupRow,
    HeadlineRow,
    Measures,
)


@dataclass
class Filters:
    """What the dashboard shows, from the address; anything unusable falls back, said so."""

    period: Period
    plans: str = "all"
    indicator: str = "safe_home"
    by: str = "placement"
    group: tuple[str, str] | None = None
    problems: list[str] = field(default_factory=list)

    def args(self, **changes: Any) -> dict[str, str]:
        values = {"period": self.period.key, "plans": self.plans, "indicator": self.indicator,
                  "by": self.by}
        if self.group:
            values["group"] = f"{self.group[0]}:{self.group[1]}"
        values.update(changes)
        return values


def default_period(measures: Measures, periods: list[Period]) -> Period:
    """The latest published year, else the latest published quarter, else this year."""
    published = [p for p in periods if measures.is_published(p)]
    return next((p for p in published if p.kind == YEAR), None) or next(
        iter(published), None) or year_of(measures.today)


def parse_filters(args: Mapping[str, str], periods: list[Period], catalogue: Catalogue,
                  default: Period) -> Filters:
    filters = Filters(period=default)
    if "period" in args:
        chosen = parse_period(args["period"])
        if chosen is None or chosen not in periods:
            filters.problems.append(_("There are no figures for that period; showing %(period)s.",
                                      period=default.label))
        else:
            filters.period = chosen
    plans = args.get("plans", "all")
    if plans in PLAN_SETS:
        filters.plans = plans
    else:
        filters.problems.append(_("That choice of plans is not on offer; showing all plans."))
    indicator = args.get("indicator", filters.indicator)
    if indicator in catalogue.indicators:
        filters.indicator = indicator
    else:
        filters.indicator = next(iter(catalogue.indicators))
        filters.problems.append(_("That measure is not on offer; showing the first one."))
    by = args.get("by", filters.by)
    if by in BREAKDOWNS:
        filters.by = by
    else:
        filters.problems.append(_("That breakdown is not on offer; showing where they live."))
    group = args.get("group", "")
    if group:
        dimension, _colon, value = group.partition(":")
        if dimension in BREAKDOWNS and value and len(value) <= 32:
            filters.group = (dimension, value)
        else:
            filters.problems.append(_("That group is not on offer."))
    return filters


@dataclass
class Dashboard:
    """The figures of one dashboard, read once for its tables and its charts."""

    headline: list[HeadlineRow]
    trend: list[tuple[str, Figure]]
    bars: list[tuple[str, Figure]]
    coverage: Coverage
    published: bool
    group_rows: list[GroupRow]
    group_label: str


def read(measures: Measures, filters: Filters) -> Dashboard:
    period, plans = filters.period, filters.plans
    group_rows: list[GroupRow] = []
    group_label = ""
    if filters.group:
        dimension, value = filters.group
        group_label = measures.value_label(dimension, value)
        group_rows = measures.group_against_rest(period, plans, dimension, value)
    return Dashboard(
        headline=list(measures.headline(period, plans)),
        trend=[(quarter.label, figure)
               for quarter, figure in measures.trend(period, plans, filters.indicator)],
        bars=[(measures.value_label(filters.by, value), figure) for value, figure in
              measures.breakdown(period, plans, filters.indicator, filters.by)],
        coverage=measures.coverage(period, plans), published=measures.is_published(period),
        group_rows=group_rows, group_label=group_label)


def tables_of(data: Dashboard, filters: Filters, catalogue: Catalogue,
              ) -> dict[str, tables.Table | None]:
    """Every table of the dashboard, by the name its CSV file has (``coverage_kind`` and
    ``group`` are None when the dashboard has no such table)."""
    period, plans = filters.period, filters.plans
    plans_label = str(PLAN_SET_LABELS[plans])
    indicator_label = catalogue.indicators[filters.indicator].label
    coverage = data.coverage
    return {
        "headline": tables.headline_table(data.headline, period.label, plans_label),
        "trend": tables.trend_table(data.trend, indicator_label),
        "breakdown": tables.breakdown_table(data.bars, indicator_label,
                                            str(BREAKDOWN_LABELS[filters.by]), data.published),
        "coverage_team": tables.coverage_table(coverage, period.label, plans_label, "team"),
        "coverage_kind": (tables.coverage_table(coverage, period.label, plans_label, "kind")
                          if coverage.by_kind else None),
        "group": tables.group_table(data.group_rows, data.group_label)
        if filters.group else None,
    }
