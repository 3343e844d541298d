"""Every dashboard measure against figures worked out by hand on a small council.

Published counts are rounded by the cell key method (``disclosure.py``), so each is checked
to be a multiple of 5 within 4 of the hand count, and the figures to add up across plan
choices, breakdowns and groups exactly as published; shares to be those of the published
counts. The council answers "today" and is then moved two years back, into a published year.

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

from tests.factories import make_child, make_team, move_into_the_past
from viewpoint.models import PlacementType, PlanKind
from viewpoint.operations.answers import record_answer, start_response, submit_response
from viewpoint.operations.invitations import issue_invitation
from viewpoint.periods import QUARTER, Period, quarter_of, year_of
from viewpoint.published.disclosure import percent
from viewpoint.published.measures import Counts, Figure, Measures

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
    move_into_the_past(session)
    return team


def _measures(app, session, threshold: int) -> Measures:  # type: ignore[no-untyped-def]
    return Measures(session, app.extensions["viewpoint.questionnaires"], threshold)


def _year() -> Period:
    return year_of(date.today() - timedelta(days=730))


def _close(published: int | None, exact: int, parts: int = 1) -> bool:
    """A published count (the sum of ``parts`` rounded counts) is a multiple of 5 and within
    4 of the exact count for each count it is made of."""
    return published is not None and published % 5 == 0 and abs(published - exact) <= 4 * parts


def _counts(measures: Measures, period: Period, plans: str, dimension: str = "all",
            value: str = "all") -> Counts:
    return measures.lattice(period, "safe_home").counts_of(plans, dimension, value)


def test_headline_counts_are_rounded_hand_counts(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    period = _year()
    rows = {row.indicator: row for row in measures.headline(period, "all")}
    everyone = _counts(measures, period, "all")
    # 16 of 22 positive (foster 8, home 5, child in need 3); 6 not; 2 declined or skipped.
    # "All plans" is the sum of the plan kinds' rounded counts: within 4 of each.
    assert _close(everyone.positive, 16, parts=2) and _close(everyone.not_positive, 6, parts=2)
    assert _close(everyone.declined_or_skipped, 2, parts=2)
    safe = rows["safe_home"].figure
    assert safe.answered == everyone.answered
    assert safe.share == percent(everyone.positive, everyone.answered)
    assert rows["safe_home"].declined_or_skipped == everyone.declined_or_skipped
    # The care plan children's counts are the care plan kind's rounded counts, on their own.
    care = _counts(measures, period, "care_plan")
    assert _close(care.positive, 13) and _close(care.not_positive, 6)
    # Every plan choice is the sum of its plan kinds, exactly as published.
    for plans, kinds in (("all", ("care_plan", "pathway_plan", "child_protection",
                                  "child_in_need")),
                         ("in_care", ("care_plan", "pathway_plan")),
                         ("protection", ("child_protection", "child_in_need"))):
        total = Counts()
        for kind in kinds:
            total += _counts(measures, period, kind)
        assert _counts(measures, period, plans) == total, plans
    # Nobody answered the happiness scale but the 10 foster children: 6 of them 7 or more.
    happy = measures.lattice(period, "happiness").counts_of("all")
    assert _close(happy.positive, 6) and _close(happy.not_positive, 4)


def test_breakdowns_and_groups_add_up_to_the_published_totals(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    period = _year()
    bars = dict(measures.breakdown(period, "in_care", "safe_home", "placement"))
    foster = _counts(measures, period, "in_care", "placement", "foster")
    home = _counts(measures, period, "in_care", "placement", "residential")
    assert _close(foster.positive, 8) and _close(foster.not_positive, 2)
    assert _close(home.positive, 5) and _close(home.not_positive, 4)
    assert bars["foster"] == Figure.of(foster, 1) and bars["residential"] == Figure.of(home, 1)
    # Every breakdown of care plans adds up to the care plans' published count.
    care = _counts(measures, period, "care_plan")
    for dimension in ("band", "gender", "ethnicity_group", "placement", "team"):
        values = measures.lattice(period, "safe_home").values(dimension)
        total = Counts()
        for value in values:
            total += _counts(measures, period, "care_plan", dimension, value)
        assert total == care, dimension
    rows = {row.indicator: row for row in
            measures.group_against_rest(period, "all", "placement", "residential")}
    rest = _counts(measures, period, "all") - home
    assert rows["safe_home"].rest == Figure.of(rest, 1)
    assert rows["safe_home"].group == Figure.of(home, 1)


def test_the_trend_has_eight_quarters_the_last_maybe_unpublished(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=1)
    answered_in = quarter_of(date.today() - timedelta(days=730))
    points = measures.trend(_year(), "all", "safe_home")
    assert len(points) == 8
    assert points[-1][0] == quarter_of(_year().end - timedelta(days=1))
    assert all(not figure.pending for _quarter, figure in points)
    figures = dict(points)
    assert figures[answered_in].shown
    assert all(figure.answered == 0 for quarter, figure in points if quarter != answered_in)
    # This year has not ended: its trend stops at this quarter, which is not published yet.
    running = measures.trend(year_of(date.today()), "all", "safe_home")
    assert running[-1][0] == quarter_of(date.today())
    assert running[-1][1].pending
    assert measures.headline(year_of(date.today()), "all")[0].figure.pending


def test_small_groups_are_withheld_by_their_published_count(app, session, council) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(app, session, threshold=10)
    period = _year()
    # 3 children on child in need plans: published as 0 or 5, under 10: never a share.
    child_in_need = _counts(measures, period, "child_in_need")
    assert child_in_need.answered in (0, 5)
    figure = measures.lattice(period, "safe_home").figure("child_in_need")
    assert figure.share is None and (figure.withheld or figure.answered == 0)


def test_a_published_period_never_changes(app, session, council) -> None:  # type: ignore[no-untyped-def]
    """Once a period is published, nothing that happens to the records moves its figures.
    Here everything is moved back again and the totals rebuilt: the published year's totals
    now hold only a child who answered late, and not one published figure changes."""
    measures = _measures(app, session, threshold=1)
    period = _year()
    before = [row.figure for row in measures.headline(period, "all")]
    session.commit()
    late = make_child(session, team=council)
    _respond(app, session, late, {"safe_home": "sad"})
    session.commit()
    move_into_the_past(session)  # everything moves again: the late child lands two years back
    again = _measures(app, session, threshold=1)
    after = [row.figure for row in again.headline(period, "all")]
    assert after == before
    # The quarter it landed in: published once, unchanged too.
    quarter = Period(QUARTER, quarter_of(date.today() - timedelta(days=730)).start)
    assert [f for _q, f in again.trend(quarter, "all", "safe_home")][-1] == [
        f for _q, f in measures.trend(quarter, "all", "safe_home")][-1]
