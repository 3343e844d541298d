"""Nothing withheld on the dashboards can be worked out from what they publish.

On a seeded demo council, every figure any combination of the dashboard's filters can show
is collected (every period x plan filter x measure x breakdown x group compared, and the
coverage tables): the figures a page shows are exactly the union of these calls. Each figure
is matched to the set of children it counts, worked out here from the stored entries, not
from the totals the dashboards read. Then:

- every published count is the rounded size of its set (the measures count right);
- no published set minus another published set inside it is a withheld set (every
  subtraction between two published figures);
- no published total minus the published parts of a breakdown inside it leaves a withheld
  set;
- and, exactly, no withheld figure is determined by the published ones through all the
  ways the sets add up (a null-space check written independently of ``disclosure.py``).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from tests.support import make_config, migrate
from tests.unit.test_disclosure import free_to_vary
from viewpoint import create_app
from viewpoint.dashboards.disclosure import Relation, rounded
from viewpoint.dashboards.measures import (
    BREAKDOWNS,
    PLAN_SETS,
    PUBLISHED_AS,
    Measures,
)
from viewpoint.extensions import db
from viewpoint.models import DashboardEntry, ReviewCoverage
from viewpoint.periods import QUARTER, YEAR, Period, period_of

#: Builds a 1,500-response council and enumerates every published figure.
pytestmark = pytest.mark.slow

THRESHOLD = 10


def _value(entry: DashboardEntry, dimension: str) -> str:
    raw = str(entry.team_id) if dimension == "team" else getattr(entry, dimension)
    return PUBLISHED_AS.get(dimension, {}).get(raw, raw)


@pytest.fixture(scope="module")
def council(databases, tmp_path_factory):  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path_factory.mktemp("council")))
    result = app.test_cli_runner().invoke(args=["demo", "--today", "2026-11-21", "--responses",
                                                "1500"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["viewpoint.engine"].dispose()


class Published:
    """Figures as sets of children (bit masks over entries) for one period and measure."""

    def __init__(self) -> None:
        self.shown: dict[int, int] = {}  # population -> published (rounded) count
        self.withheld: set[int] = set()
        self.names: dict[int, set[str]] = defaultdict(set)  # for messages

    def add(self, population: int, figure, name: str = "") -> None:  # type: ignore[no-untyped-def]
        self.names[population].add(name)
        if figure.withheld:
            self.withheld.add(population)
            return
        assert figure.answered == rounded(population.bit_count()), "count disagrees"
        self.shown[population] = figure.answered


def _check(published: Published, families: list[list[int]], where: str) -> None:
    shown = [p for p in published.shown if p]
    withheld = {p for p in published.withheld if p}
    both = withheld & set(shown)
    assert not both, f"{where}: one group both shown and withheld: " + "; ".join(
        str(sorted(published.names[p])) for p in both)
    for whole in shown:
        for part in shown:
            if part != whole and part & ~whole == 0:
                rest = whole & ~part
                assert rest not in withheld, \
                    f"{where}: a withheld figure by subtraction: " \
                    f"{sorted(published.names[whole])} minus {sorted(published.names[part])}"
    # A published total minus every published part of one breakdown inside it.
    for family in families:
        for whole in shown:
            parts = [p for p in family if p in published.shown and p and p & ~whole == 0]
            left = whole
            for part in parts:
                left &= ~part
            if left and parts:
                assert left not in withheld, f"{where}: withheld figure from a breakdown"
    # Exactly: every way the groups add up, then the null space over the withheld groups.
    everything = set(published.shown) | published.withheld
    relations = []
    for family in families:
        members = [p for p in family if p in everything]
        for whole in everything:
            inside = [p for p in members if p and p & ~whole == 0 and p != whole]
            union = 0
            for part in inside:
                union |= part
            if inside and union == whole and sum(p.bit_count() for p in inside) \
                    == whole.bit_count():
                relations.append(Relation(whole, tuple(inside)))
    if withheld:
        free = free_to_vary(relations, withheld)
        assert withheld <= free, f"{where}: {len(withheld - free)} withheld figures determined"


def test_no_withheld_figure_can_be_worked_out_from_any_combination_of_filters(council) -> None:  # type: ignore[no-untyped-def]
    app = council
    with app.app_context():
        session = db.session
        measures = Measures(session, app.extensions["viewpoint.questionnaires"], THRESHOLD)
        entries = session.scalars(select(DashboardEntry)).all()
        periods = measures.periods_with_data()
        assert any(p.kind == YEAR for p in periods) and any(p.kind == QUARTER for p in periods)
        indicators = list(app.extensions["viewpoint.questionnaires"].indicators)
        checked = withheld_seen = 0
        for period in periods:
            counted = [e for e in entries if period.contains(e.submitted_on)
                       and (e.counted_in_year if period.kind == YEAR else e.counted_in_quarter)]
            for indicator in indicators:
                answered = [e for e in counted if e.outcomes.get(indicator, ["-"])[0]
                            in ("positive", "not_positive")]
                bit = {e.response_id: 1 << i for i, e in enumerate(answered)}

                def population(kinds, dimension=None, value=None, exclude=False):  # type: ignore[no-untyped-def]
                    mask = 0
                    for e in answered:  # noqa: B023
                        if e.plan_kind not in kinds:
                            continue
                        if dimension is not None and (_value(e, dimension) == value) == exclude:
                            continue
                        mask |= bit[e.response_id]  # noqa: B023
                    return mask

                published = Published()
                families: dict[str, list[int]] = defaultdict(list)
                for plans, kinds in PLAN_SETS.items():
                    total = population(kinds)
                    headline = {row.indicator: row for row in measures.headline(period, plans)}
                    published.add(total, headline[indicator].figure, f"{plans} total")
                    families["plans"].append(total)
                    for dimension in BREAKDOWNS:
                        for value, figure in measures.breakdown(period, plans, indicator,
                                                                dimension):
                            if dimension == "plan_kind":
                                cell = population((value,))
                                families["plans"].append(cell)
                            else:
                                cell = population(kinds, dimension, value)
                                families[dimension].append(cell)
                            published.add(cell, figure, f"{plans} {dimension}={value}")
                            rows = {row.indicator: row for row in
                                    measures.group_against_rest(period, plans, dimension, value)}
                            published.add(population(kinds, dimension, value)
                                          if dimension != "plan_kind" else cell,
                                          rows[indicator].group,
                                          f"{plans} group {dimension}={value}")
                            rest = (population(kinds, dimension, value, exclude=True)
                                    if dimension != "plan_kind" else total & ~cell)
                            # "Everyone else" is the total minus the group: withheld when
                            # either is, so it is not a secret of its own.
                            if not rows[indicator].rest.withheld:
                                published.add(rest, rows[indicator].rest,
                                              f"{plans} rest {dimension}!={value}")
                    # The trend shows each quarter's own figure: the one checked when that
                    # quarter is the period, so it publishes nothing more.
                    for quarter, figure in measures.trend(period, plans, indicator):
                        same = {row.indicator: row for row in
                                measures.headline(quarter, plans)}[indicator].figure
                        assert figure == same, f"{quarter.key} {plans} {indicator}"
                _check(published, list(families.values()),
                       f"{period.key} {indicator}")
                checked += len(published.shown)
                withheld_seen += len(published.withheld)
        # The test means something: plenty published, and some withheld to protect.
        assert checked > 1000 and withheld_seen > 20


def test_coverage_figures_cannot_be_worked_out_either(council) -> None:  # type: ignore[no-untyped-def]
    app = council
    with app.app_context():
        session = db.session
        measures = Measures(session, app.extensions["viewpoint.questionnaires"], THRESHOLD)
        reviews = session.scalars(select(ReviewCoverage)).all()
        withheld_seen = 0
        for period in measures.periods_with_data():
            held = [r for r in reviews if period.contains(r.quarter_start)]
            bit = {r.review_id: 1 << i for i, r in enumerate(held)}

            def population(teams, kinds, statuses):  # type: ignore[no-untyped-def]
                mask = 0
                for r in held:  # noqa: B023
                    if (teams is None or str(r.team_id) in teams) and r.plan_kind in kinds \
                            and r.status in statuses:
                        mask |= bit[r.review_id]  # noqa: B023
                return mask

            published = Published()
            families: dict[str, list[int]] = defaultdict(list)
            statuses = ("views_before", "asked_no_views", "not_asked")
            for plans, kinds in PLAN_SETS.items():
                coverage = measures.coverage(period, plans)
                rows = [(None, kinds, coverage.total)]
                rows += [(None, (kind,), figure) for kind, figure in coverage.by_kind]
                rows += [({team}, kinds, figure) for team, figure in coverage.by_team]
                for teams, row_kinds, figure in rows:
                    for name, chosen in (("held", statuses), *((s, (s,)) for s in statuses)):
                        cell = population(teams, row_kinds, chosen)
                        value = getattr(figure, name)
                        families[f"status-{teams}-{row_kinds}"].append(cell)
                        families[f"team-{name}-{row_kinds}"].append(cell)
                        families[f"kind-{name}-{teams}"].append(cell)
                        if value is None:
                            published.withheld.add(cell)
                        else:
                            assert value == rounded(cell.bit_count())
                            published.shown[cell] = value
            # Counts of 1 to 5 are never shown.
            assert not [p for p in published.shown if 0 < p.bit_count() <= 5]
            _check(published, list(families.values()), f"coverage {period.key}")
            withheld_seen += len(published.withheld)
        assert withheld_seen > 0


def test_period_of_matches_the_entries(council) -> None:  # type: ignore[no-untyped-def]
    """The fixture itself: entries fall in the periods the dashboard lists."""
    with council.app_context():
        entries = db.session.scalars(select(DashboardEntry)).all()
        periods = set(Measures(db.session, council.extensions["viewpoint.questionnaires"],
                               THRESHOLD).periods_with_data())
        assert {period_of(YEAR, e.submitted_on) for e in entries} <= periods
        assert all(isinstance(p, Period) for p in periods)
