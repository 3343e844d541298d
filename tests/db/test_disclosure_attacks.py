"""The panel member as the adversary: someone who knows a child and wants their answers.

Two attacks, on a 1,500 and a 20,000 response council (built by ``viewpoint demo``, today):

1. **Watching the dashboards change.** Every figure the dashboards publish is taken (every
   period, plan choice, indicator, breakdown and group, the coverage tables, and the CSV
   files a panel member downloads); one more child answers through the child's own pages;
   everything is taken again. Then every possible answer of that child, to every question
   they answered, is tested against every figure that changed: a figure can only change if
   the child is counted in it, so an answer is ruled out when a figure it would not touch
   moved. No indicator may be left with one possible answer.
2. **Solving the published figures together.** For each published period, every published
   count becomes a constraint on the true one: a count published as R is a true count from
   R - 4 to R + 4 (never below 0), as the method says, and the true counts add up along every
   breakdown of every plan kind, and over the coverage statuses. Plan choices, groups against
   everyone else and shares are sums and ratios of these same published counts and add
   nothing the attacker does not have already. An integer program (HiGHS, through scipy)
   then finds the smallest and the largest each true count can be. No count may be left with
   fewer than 5 possible values, so none from 1 to 5 is ever pinned, and the true count
   must always be among them (the attacker's model is right, not merely loose).

The program separates exactly into one block per period, indicator, plan kind and kind of
count (positive, not positive, declined or skipped) and one per quarter, team and plan kind
for coverage: no published relation joins two blocks, so each is solved on its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import select

from tests.factories import make_child
from tests.support import make_config, migrate
from tests.views.test_respond import autosave, begin, enter, token_from
from viewpoint import create_app
from viewpoint.demo import DEMO_DOMAIN, DemoBuilder
from viewpoint.extensions import db
from viewpoint.models import (
    Child,
    CoverageTotal,
    IndicatorTotal,
    Plan,
    PublishedCoverage,
    PublishedIndicator,
    Release,
    Team,
)
from viewpoint.operations.invitations import issue_invitation
from viewpoint.operations.totals import COVERAGE_STATUSES
from viewpoint.periods import QUARTER
from viewpoint.published.measures import BREAKDOWNS, KINDS, PLAN_SETS, Measures
from viewpoint.published.releases import PUBLISHED_AS, QUANTITIES

pytestmark = pytest.mark.slow

#: Published counts are multiples of 5 within this of the true count (``disclosure.py``).
SLACK = 4
#: No true count may be narrowed to fewer possible values than this.
BASE = 5


@pytest.fixture(scope="module", params=[1500, 20000], ids=["1500", "20000"])
def council(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # SQLite only: the attacks are on the method, which is the same on either database.
    folder: Path = tmp_path_factory.mktemp(f"council-{request.param}")
    url = f"sqlite:///{folder / 'council.sqlite3'}"
    migrate(url)
    app = create_app(make_config(url, folder, WTF_CSRF_ENABLED=True))
    result = app.test_cli_runner().invoke(args=["demo", "--responses", str(request.param)],
                                          catch_exceptions=False)
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["viewpoint.engine"].dispose()


def _panel(app: Any) -> Any:
    builder = DemoBuilder(app.extensions["viewpoint.questionnaires"], responses=0, seed=2026,
                          today=date.today(), languages=("en",))
    email, password = next((email, password) for email, _role, password in builder.sign_ins()
                           if email == f"panel@{DEMO_DOMAIN}")
    client = app.test_client()
    page = client.get("/staff/signin").get_data(as_text=True)
    signed = client.post("/staff/signin", data={"email": email, "password": password,
                                                "csrf_token": token_from(page)})
    assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
    return client


# --- attack 1: watching the dashboards change ---

Snapshot = dict[tuple[Any, ...], Any]


def _everything_published(app: Any, client: Any) -> Snapshot:
    """Every figure the dashboards publish, keyed by where it is shown."""
    seen: Snapshot = {}
    with app.app_context():
        catalogue = app.extensions["viewpoint.questionnaires"]
        measures = Measures(db.session, catalogue, app.config["DASHBOARD_MIN_CHILDREN"])
        periods = measures.periods_with_data()
        indicators = list(catalogue.indicators)
        measures.lattices(periods, indicators)
        for period in periods:
            for indicator in indicators:
                lattice = measures.lattice(period, indicator)
                seen[("published?", period, indicator)] = lattice.published
                for key, counts in lattice.counts.items():
                    seen[(period, indicator, *key)] = counts
                for plans in PLAN_SETS:
                    seen[(period, indicator, plans, "figure")] = lattice.figure(plans)
            for plans in PLAN_SETS:
                coverage = measures.coverage(period, plans)
                seen[(period, "coverage", plans)] = (coverage.total, coverage.by_team,
                                                     coverage.by_kind)
        db.session.commit()  # releases made while looking are kept, as a page's would be
    # And the files a panel member downloads, for every period and plan choice.
    page = client.get("/dashboards/").get_data(as_text=True)
    keys = sorted(set(re.findall(r'<option value="(\d{4}-\d{2}(?:-Q\d)?)"', page)))
    assert keys, "the period list is empty"
    for key in keys:
        for plans in PLAN_SETS:
            for table in ("headline", "trend", "breakdown", "coverage-team"):
                answer = client.get(f"/dashboards/{table}.csv?period={key}&plans={plans}")
                assert answer.status_code == 200
                seen[("csv", table, key, plans)] = answer.get_data(as_text=True)
        council_page = client.get(f"/dashboards/council?period={key}")
        if council_page.status_code == 200:
            text = council_page.get_data(as_text=True)
            seen[("council", key)] = text[text.index("<main"):]
    return seen


def _child_answers(app: Any, answers: dict[str, Any]) -> tuple[Child, dict[str, Any]]:
    """A new child on a care plan answers through the child's pages; returns the child and
    what they answered (question key -> value)."""
    with app.app_context():
        team_id = db.session.scalar(select(Child.team_id).join(Plan).where(
            Plan.kind == "care_plan").limit(1))
        child = make_child(db.session, age=14, team=db.session.get(Team, team_id))
        issued = issue_invitation(db.session, app.extensions["viewpoint.questionnaires"],
                                  child, offered_languages=("en",))
        db.session.commit()
        code, child_id = issued.code, child.id
    tablet = app.test_client()
    assert enter(tablet, code).status_code == 302
    path = begin(tablet)
    for number, (question, value) in enumerate(answers.items()):
        saved = autosave(tablet, path, question=question, value=value, save_id=f"a-{number}")
        assert saved.status_code == 200, saved.get_data(as_text=True)
    finish = tablet.get("/finish").get_data(as_text=True)
    sent = tablet.post("/finish", data={"csrf_token": token_from(finish), "helped_by": "nobody"})
    assert sent.status_code == 200 and "Your answers have been sent" in sent.get_data(as_text=True)
    with app.app_context():
        return db.session.get(Child, child_id), answers


def _exact_totals(app: Any) -> dict[tuple[Any, ...], tuple[int, ...]]:
    with app.app_context():
        table = IndicatorTotal.__table__
        return {tuple(row[:6]): tuple(row[6:10]) for row in db.session.execute(select(table))}


def _possible_answers(changed: set[tuple[Any, ...]], indicator: str) -> set[str]:
    """The child's possible outcomes on ``indicator`` that every changed figure allows.

    A published figure about ``indicator`` counts the child only in the quantity of their
    outcome ("declined" and "skipped" share one); a figure of a quantity the child is not in
    cannot have moved because of them. Figures not split by outcome (a share, a CSV row,
    a page) could move for any answer and rule nothing out.
    """
    possible = set()
    for outcome in ("positive", "not_positive", "declined", "skipped"):
        quantity = next(name for name, parts in QUANTITIES.items() if outcome in parts)
        ruled_out = any(key[1] == indicator and key[-1] in QUANTITIES and key[-1] != quantity
                        for key in changed)
        if not ruled_out:
            possible.add(outcome)
    return possible


def _split(snapshot: Snapshot) -> Snapshot:
    # Counts become one figure per quantity, so the attacker can tell which of them moved.
    split: Snapshot = {}
    for key, value in snapshot.items():
        if hasattr(value, "declined_or_skipped") and hasattr(value, "positive"):
            for name in QUANTITIES:
                split[(*key, name)] = getattr(value, name)
        else:
            split[key] = value
    return split


#: What the new child answers, and the indicator each question counts towards.
ANSWERS = {"safe_home": "sad", "settled_home": "happy", "trusted_adult": "no",
           "hurting_me": "yes", "listened_to": "yes", "happiness": 3}
INDICATORS = {"safe_home": "safe_home", "settled_home": "settled_home",
              "trusted_adult": "trusted_adult", "hurting_me": "no_one_hurting",
              "listened_to": "listened_to", "happiness": "happiness"}


def test_watching_the_dashboards_as_a_child_answers_gives_no_answer_away(council) -> None:  # type: ignore[no-untyped-def]
    client = _panel(council)
    before = _split(_everything_published(council, client))
    totals_before = _exact_totals(council)
    _child, answered = _child_answers(council, ANSWERS)
    after = _split(_everything_published(council, _panel(council)))
    # The answers were counted: the exact totals moved (in the quarter still running).
    totals_after = _exact_totals(council)
    assert totals_after != totals_before
    assert before.keys() == after.keys()
    changed = {key for key in before if before[key] != after[key]}
    assert set(INDICATORS.values()) <= set(council.extensions["viewpoint.questionnaires"]
                                           .indicators)
    for question in answered:
        possible = _possible_answers(changed, INDICATORS[question])
        assert len(possible) >= 2, (question, possible, sorted(map(str, changed))[:10])
    # Stronger than needed, and what makes it so: nothing published moved at all.
    assert not changed, sorted(map(str, changed))[:10]


# --- attack 2: solving the published figures together ---

def _interval(published: int) -> tuple[int, int]:
    return max(0, published - SLACK), published + SLACK


def _bounds_of_block(total: int, partitions: list[list[int]]) -> list[tuple[int, int]]:
    """The smallest and largest value of each true count in one block: a total (published
    ``total``) and partitions of it (published parts). Variables: the total, then every
    part of every partition in order."""
    published = [total, *(part for partition in partitions for part in partition)]
    lower, upper = zip(*(_interval(value) for value in published), strict=True)
    rows = []
    index = 1
    for partition in partitions:
        row = np.zeros(len(published))
        row[0] = -1
        row[index:index + len(partition)] = 1
        index += len(partition)
        rows.append(row)
    constraints = [LinearConstraint(np.array(rows), 0, 0)] if rows else []
    integrality = np.ones(len(published))
    bounds = Bounds(np.array(lower, dtype=float), np.array(upper, dtype=float))
    found = []
    for variable in range(len(published)):
        ends = []
        for sign in (1, -1):
            cost = np.zeros(len(published))
            cost[variable] = sign
            result = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds)
            assert result.success, result.message
            ends.append(round(sign * result.fun))
        found.append((ends[0], ends[1]))
    return found


def _published_periods(app: Any) -> list[tuple[str, Any]]:
    with app.app_context():
        return sorted(db.session.execute(select(Release.period_kind, Release.period_start)).all())


def test_no_count_can_be_narrowed_by_solving_every_published_table_together(council) -> None:  # type: ignore[no-untyped-def]
    client = _panel(council)
    _everything_published(council, client)  # every period due is published by looking
    periods = _published_periods(council)
    assert any(kind == QUARTER for kind, _start in periods)
    # The latest published quarter and year (every period would take minutes more, and
    # each is the same kind of program).
    chosen = [max((p for p in periods if p[0] == kind), default=None) for kind in ("quarter",
                                                                                  "year")]
    narrowest, solved, pinned_small = BASE * 10, 0, []
    with council.app_context():
        for period in [p for p in chosen if p is not None]:
            kind, start = period
            published = defaultdict(dict)
            for row in db.session.scalars(select(PublishedIndicator).where(
                    PublishedIndicator.period_kind == kind,
                    PublishedIndicator.period_start == start)):
                published[(row.indicator, row.plan_kind)][(row.dimension, row.value)] = row
            exact = _exact_by_published_cell(kind, start)
            for (indicator, plan_kind), cells in published.items():
                total = cells.get(("all", "all"))
                assert total is not None
                for quantity in QUANTITIES:
                    partitions, names = [], [("all", "all")]
                    for dimension in BREAKDOWNS:
                        if dimension == "plan_kind":
                            continue
                        parts = sorted(key for key in cells if key[0] == dimension)
                        # Groups published as 0 on every count have no row: still a part.
                        if parts:
                            partitions.append([getattr(cells[key], quantity) for key in parts])
                            names.extend(parts)
                    bounds = _bounds_of_block(getattr(total, quantity), partitions)
                    for name, (low, high) in zip(names, bounds, strict=True):
                        truth = exact.get((indicator, plan_kind, *name, quantity), 0)
                        assert low <= truth <= high, (period, indicator, plan_kind, name,
                                                      quantity, truth, low, high)
                        narrowest = min(narrowest, high - low + 1)
                        if high - low + 1 < BASE and 1 <= truth <= 5:
                            pinned_small.append((indicator, plan_kind, name, quantity))
                        solved += 1
            if kind == QUARTER:
                solved += _coverage_blocks(start)
    assert solved > 1000
    assert not pinned_small, pinned_small[:10]
    assert narrowest >= BASE, narrowest


def _exact_by_published_cell(kind: str, start: Any) -> dict[tuple[Any, ...], int]:
    """The true counts behind each published cell (small categories merged as published)."""
    exact: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in db.session.scalars(select(IndicatorTotal).where(
            IndicatorTotal.period_kind == kind, IndicatorTotal.period_start == start)):
        value = PUBLISHED_AS.get(row.dimension, {}).get(row.value, row.value)
        for quantity, outcomes in QUANTITIES.items():
            exact[(row.indicator, row.plan_kind, row.dimension, value, quantity)] += sum(
                getattr(row, outcome) for outcome in outcomes)
    return exact


def _coverage_blocks(start: Any) -> int:
    """Each team and plan kind's coverage in a quarter: reviews held, split by status."""
    exact = {(row.team_id, row.plan_kind): row for row in db.session.scalars(
        select(CoverageTotal).where(CoverageTotal.quarter_start == start))}
    solved = 0
    for row in db.session.scalars(select(PublishedCoverage).where(
            PublishedCoverage.quarter_start == start)):
        parts = [getattr(row, status) for status in COVERAGE_STATUSES]
        bounds = _bounds_of_block(sum(parts), [parts])
        truth_row = exact[(row.team_id, row.plan_kind)]
        truths = [sum(getattr(truth_row, s) for s in COVERAGE_STATUSES),
                  *(getattr(truth_row, s) for s in COVERAGE_STATUSES)]
        for truth, (low, high) in zip(truths, bounds, strict=True):
            assert low <= truth <= high
            assert high - low + 1 >= BASE, (start, row.team_id, row.plan_kind, low, high)
            solved += 1
    return solved


def test_the_files_show_what_the_method_published(council) -> None:  # type: ignore[no-untyped-def]
    """The attack reads the stored release; the pages and files must be that and nothing
    more exact: every count in a headline file is a multiple of 5 and is the sum over the
    plan choice's kinds of the stored counts."""
    client = _panel(council)
    _everything_published(council, client)
    with council.app_context():
        kind, start = max(p for p in _published_periods(council) if p[0] == "year")
        stored = defaultdict(int)
        for row in db.session.scalars(select(PublishedIndicator).where(
                PublishedIndicator.period_kind == kind, PublishedIndicator.period_start == start,
                PublishedIndicator.indicator == "safe_home",
                PublishedIndicator.dimension == "all")):
            stored[row.plan_kind] += row.positive + row.not_positive
        key = next(p for p in Measures(db.session, council.extensions[
            "viewpoint.questionnaires"], 10).periods_with_data() if p.start == start
            and p.kind == kind).key
    for plans, kinds in PLAN_SETS.items():
        text = client.get(f"/dashboards/headline.csv?period={key}&plans={plans}").get_data(
            as_text=True)
        rows = list(csv.reader(io.StringIO(text)))
        safe = next(row for row in rows if row[0] == "Feel safe where they live")
        expected = sum(stored[k] for k in kinds)
        if safe[2] not in ("[c]", ""):
            assert int(safe[2]) == expected and int(safe[2]) % 5 == 0
        for row in rows[1:rows.index([])]:
            for cell in row[2:]:
                assert cell in ("[c]", "[x]", "") or int(cell) % 5 == 0, row
    assert set(KINDS) <= set(PLAN_SETS)
