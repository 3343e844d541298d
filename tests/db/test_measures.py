"""Every dashboard measure against figures worked out by hand on a small council.

The fixture: one team; 11 children in foster care and 10 in a children's home on care
plans, and 3 on child in need plans, all aged 9 unless said otherwise, answering today.

safe_home (faces; "happy" is positive):
- foster: 8 happy, 2 sad, 1 "rather not say"  -> 10 answered, 8 positive: 80%
- children's home: 5 happy, 4 okay, 1 skipped  ->  9 answered, 5 positive: 56%
- child in need: 3 happy                       ->  3 answered, 3 positive
- all plans: 22 answered, 16 positive: 73%; 2 chose not to say or skipped
happiness (0-10; 7 or more is positive), asked of the foster children only:
  8, 6, 9, 3, 7, 7, 10, 2, 5, 8 -> mean 6.5; 6 of 10 at 7 or more: 60%
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_child, make_team
from viewpoint.dashboards.measures import Measures
from viewpoint.models import PlacementType, PlanKind
from viewpoint.operations.answers import record_answer, start_response, submit_response
from viewpoint.operations.invitations import issue_invitation
from viewpoint.periods import quarter_of, year_of

FOSTER_SAFE = ["happy"] * 8 + ["sad"] * 2 + [None]
FOSTER_HAPPINESS = [8, 6, 9, 3, 7, 7, 10, 2, 5, 8, None]
HOME_SAFE = ["happy"] * 5 + ["okay"] * 4 + ["skip"]


def _respond(app, session, child, answers: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    catalogue = app.extensions["viewpoint.questionnaires"]
    response = start_response(session, catalogue,
                              issue_invitation(session, catalogue, child).invitation)
    for key, value in answers.items():
        if value == "skip":
            continue
        record_answer(session, catalogue, response, key, value, declined=value is None)
    submit_response(session, response, None)


@pytest.fixture()
def council(app, session):  # type: ignore[no-untyped-def]
    team = make_team(session, "Riverside")
    for safe, happiness in zip(FOSTER_SAFE, FOSTER_HAPPINESS, strict=True):
        child = make_child(session, team=team)
        answers: dict[str, object] = {"safe_home": safe}
        if happiness is not None:
            answers["happiness"] = happiness
        _respond(app, session, child, answers)
    for safe in HOME_SAFE:
        child = make_child(session, team=team)
        child.plans[0].placement_type = PlacementType.RESIDENTIAL
        session.flush()
        _respond(app, session, child, {"safe_home": safe})
    for _ in range(3):
        child = make_child(session, team=team, kind=PlanKind.CHILD_IN_NEED)
        _respond(app, session, child, {"safe_home": "happy"})
    session.commit()
    return team


def _measures(app, session, threshold: int) -> Measures:  # type: ignore[no-untyped-def]
    return Measures(session, app.extensions["viewpoint.questionnaires"], threshold)


def test_headline_shares_counts_and_means_match_the_hand_count(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    period = year_of(date.today())
    rows = {row.indicator: row for row in measures.headline(period, "all")}
    safe = rows["safe_home"]
    assert (safe.figure.share, safe.figure.answered) == (73, 20)  # 16/22; 22 rounds to 20
    # 2 chose not to say or skipped: a count from 1 to 5, never shown.
    assert safe.declined_or_skipped is None
    happy = rows["happiness"]
    assert (happy.figure.share, happy.figure.mean, happy.figure.answered) == (60, 6.5, 10)
    in_care = {row.indicator: row for row in measures.headline(period, "in_care")}
    assert (in_care["safe_home"].figure.share, in_care["safe_home"].figure.answered) == (68, 20)
    protection = {row.indicator: row for row in measures.headline(period, "protection")}
    assert (protection["safe_home"].figure.share,
            protection["safe_home"].figure.answered) == (100, 5)


def test_breakdown_and_group_against_everyone_else(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    period = year_of(date.today())
    bars = dict(measures.breakdown(period, "in_care", "safe_home", "placement"))
    assert (bars["foster"].share, bars["foster"].answered) == (80, 10)
    assert (bars["residential"].share, bars["residential"].answered) == (56, 10)
    by_kind = dict(measures.breakdown(period, "all", "safe_home", "plan_kind"))
    assert (by_kind["care_plan"].share, by_kind["child_in_need"].share) == (68, 100)
    rows = {row.indicator: row for row in
            measures.group_against_rest(period, "all", "placement", "residential")}
    # Children's home 5/9 against everyone else: (16 - 5) / (22 - 9) = 11/13.
    assert (rows["safe_home"].group.share, rows["safe_home"].rest.share) == (56, 85)


def test_the_trend_has_eight_quarters_ending_with_this_one(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    this_quarter = quarter_of(date.today())
    for last in (year_of(date.today()), this_quarter):
        points = measures.trend(last, "all", "safe_home")
        assert len(points) == 8
        # The year has not ended: the trend stops at this quarter, not at empty future ones.
        assert points[-1][0] == this_quarter
        assert (points[-1][1].share, points[-1][1].answered) == (73, 20)
        assert all(point.answered == 0 for _quarter, point in points[:-1])
    finished = measures.trend(year_of(date.today()).previous(), "all", "safe_home")
    assert finished[-1][0] == quarter_of(year_of(date.today()).start - timedelta(days=1))


def test_small_groups_are_withheld_with_their_cover(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=10)
    period = year_of(date.today())
    by_kind = dict(measures.breakdown(period, "all", "safe_home", "plan_kind"))
    # 3 children on child in need plans: withheld. All plans minus care plans would give
    # them away, so the care plans figure goes too (or all plans does).
    assert by_kind["child_in_need"].withheld
    headline = {plans: {row.indicator: row for row in measures.headline(period, plans)}
                for plans in ("all", "in_care", "protection")}
    assert headline["protection"]["safe_home"].figure.withheld
    # All plans minus children in care would give the 3 away: one of them goes too.
    assert (headline["all"]["safe_home"].figure.withheld
            or headline["in_care"]["safe_home"].figure.withheld)
    # 10 foster children and 9 in a children's home answered: 9 is under 10, and the
    # children in care total minus the foster figure would give it away.
    bars = dict(measures.breakdown(period, "in_care", "safe_home", "placement"))
    assert bars["residential"].withheld
    assert bars["foster"].withheld or headline["in_care"]["safe_home"].figure.withheld
