"""The dashboards' totals follow what children submit and what happens at reviews, on both
databases, and always agree with a rebuild from the source records."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_child
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import (
    Child,
    CoverageTotal,
    DashboardEntry,
    IndicatorTotal,
    PlanKind,
    Response,
    Review,
)
from viewpoint.operations.answers import record_answer, start_response, submit_response
from viewpoint.operations.invitations import issue_invitation
from viewpoint.operations.totals import rebuild
from viewpoint.periods import quarter_of, uk_date, year_of


def _answer(app, session, child, answers: dict[str, object], declined=()) -> Response:  # type: ignore[no-untyped-def]
    catalogue = app.extensions["viewpoint.questionnaires"]
    invitation = issue_invitation(session, catalogue, child).invitation
    response = start_response(session, catalogue, invitation)
    for key, value in answers.items():
        record_answer(session, catalogue, response, key, value)
    for key in declined:
        record_answer(session, catalogue, response, key, None, declined=True)
    submit_response(session, response, None)
    session.commit()
    return response


def _totals(session) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    table = IndicatorTotal.__table__
    return {tuple(row[:6]): tuple(row[6:]) for row in session.execute(select(table))
            if any(row[6:])}


def _coverage(session) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    table = CoverageTotal.__table__
    return {tuple(row[:3]): tuple(row[3:7]) for row in session.execute(select(table))
            if any(row[3:7])}


def test_a_submitted_response_is_counted_under_every_breakdown(app, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=9)
    response = _answer(app, session, child, {"safe_home": "happy", "settled_home": "sad"},
                       declined=["hurting_me"])
    today = uk_date(response.submitted_at)
    quarter = quarter_of(today).start
    totals = _totals(session)
    key = ("quarter", quarter, "safe_home", "care_plan")
    assert totals[(*key, "all", "all")][:4] == (1, 0, 0, 0)
    assert totals[(*key, "band", "8-11")][:4] == (1, 0, 0, 0)
    assert totals[(*key, "gender", "girl")][:4] == (1, 0, 0, 0)
    assert totals[(*key, "placement", "foster")][:4] == (1, 0, 0, 0)
    assert totals[(*key, "team", str(child.team_id))][:4] == (1, 0, 0, 0)
    assert totals[("quarter", quarter, "settled_home", "care_plan", "all", "all")][:4] == \
        (0, 1, 0, 0)
    assert totals[("quarter", quarter, "no_one_hurting", "care_plan", "all", "all")][:4] == \
        (0, 0, 1, 0)
    # Asked and not answered: skipped, counted apart from "not positive".
    assert totals[("quarter", quarter, "safe_school", "care_plan", "all", "all")][:4] == \
        (0, 0, 0, 1)
    year = year_of(today).start
    assert totals[("year", year, "safe_home", "care_plan", "all", "all")][:4] == (1, 0, 0, 0)
    # Nothing from the answers themselves is kept for the dashboards, only outcomes.
    entry = session.get(DashboardEntry, response.id)
    assert entry.outcomes["safe_home"] == ["positive", None]
    assert "happy" not in repr(entry.outcomes)


def test_a_child_counts_once_per_period_by_their_latest_response(app, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=9)
    first = _answer(app, session, child, {"safe_home": "sad"})
    session.add(Review(plan=child.plans[0], due_on=date.today() + timedelta(days=40)))
    session.flush()
    review = session.scalars(select(Review).where(Review.plan_id == child.plans[0].id)
                             .order_by(Review.due_on)).all()
    review[0].held_on = date.today()
    session.commit()
    _answer(app, session, child, {"safe_home": "happy"})
    quarter = quarter_of(uk_date(first.submitted_at)).start
    totals = _totals(session)
    assert totals[("quarter", quarter, "safe_home", "care_plan", "all", "all")][:4] == \
        (1, 0, 0, 0)
    entries = session.scalars(select(DashboardEntry).order_by(DashboardEntry.response_id)).all()
    assert [e.counted_in_quarter for e in entries] == [False, True]
    assert _totals(session) == _rebuilt(session)


def test_submitting_twice_counts_once(app, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=9)
    response = _answer(app, session, child, {"safe_home": "happy"})
    submit_response(session, response, None)
    session.commit()
    quarter = quarter_of(uk_date(response.submitted_at)).start
    assert _totals(session)[("quarter", quarter, "safe_home", "care_plan", "all",
                             "all")][:4] == (1, 0, 0, 0)


def test_the_happiness_scale_keeps_its_mean(app, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=14)
    response = _answer(app, session, child, {"happiness": 8})
    quarter = quarter_of(uk_date(response.submitted_at)).start
    row = _totals(session)[("quarter", quarter, "happiness", "care_plan", "all", "all")]
    assert row[:6] == (1, 0, 0, 0, 8, 1)


def test_each_total_carries_the_sum_of_its_childrens_record_keys(app, session) -> None:  # type: ignore[no-untyped-def]
    first, second = make_child(session, age=14), make_child(session, age=15)
    for child, happiness in ((first, 8), (second, 2)):
        response = _answer(app, session, child, {"happiness": happiness})
    quarter = quarter_of(uk_date(response.submitted_at)).start
    row = _totals(session)[("quarter", quarter, "happiness", "care_plan", "all", "all")]
    # 8 out of 10 is positive, 2 is not: each outcome's key sum is its own child's key.
    assert row[:2] == (1, 1)
    assert row[6:] == (first.record_key, second.record_key, 0, 0)
    assert _totals(session) == _rebuilt(session)


def _rebuilt(session) -> dict[tuple, tuple]:  # type: ignore[no-untyped-def]
    nested = session.begin_nested()
    rebuild(session)
    result = _totals(session)
    nested.rollback()
    return result


def test_coverage_follows_reviews_codes_and_responses(app, session) -> None:  # type: ignore[no-untyped-def]
    asked = make_child(session, age=9)
    answered = make_child(session, age=9, kind=PlanKind.CHILD_IN_NEED, team=asked.team)
    never = make_child(session, age=9, team=asked.team)
    catalogue = app.extensions["viewpoint.questionnaires"]
    issue_invitation(session, catalogue, asked)
    _answer(app, session, answered, {"safe_home": "happy"})
    session.commit()
    assert _coverage(session) == {}  # nothing held yet
    today = date.today()
    for child in (asked, answered, never):
        child.plans[0].reviews[0].held_on = today
    session.commit()
    quarter = quarter_of(today).start
    team = asked.team_id
    assert _coverage(session) == {
        (quarter, team, "care_plan"): (2, 0, 1, 1),
        (quarter, team, "child_in_need"): (1, 1, 0, 0),
    }
    # Views that arrive after the review was held do not count as "before".
    asked.plans[0].reviews[0].held_on = today - timedelta(days=400)
    session.commit()
    earlier = quarter_of(today - timedelta(days=400)).start
    coverage = _coverage(session)
    assert coverage[(earlier, team, "care_plan")] == (1, 0, 0, 1)
    assert coverage[(quarter, team, "care_plan")] == (1, 0, 0, 1)
    # Un-recording the review takes it out again.
    never.plans[0].reviews[0].held_on = None
    session.commit()
    assert (quarter, team, "care_plan") not in _coverage(session)
    nested = session.begin_nested()
    expected = _coverage(session)
    rebuild(session)
    assert _coverage(session) == expected
    nested.rollback()


@pytest.mark.slow
def test_the_demo_council_counts_exactly_what_a_rebuild_counts(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path))
    result = app.test_cli_runner().invoke(args=["demo", "--today", "2026-11-21", "--responses",
                                                "400"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.session
        built = _totals(session), _coverage(session)
        entries = session.execute(select(DashboardEntry.__table__)).all()
        assert len(built[0]) > 1000 and built[1]
        db.session.remove()
    rebuilt = app.test_cli_runner().invoke(args=["dashboards", "rebuild"],
                                           catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"{len(entries)} dashboard_entry" in rebuilt.output
    with app.app_context():
        session = db.session
        assert (_totals(session), _coverage(session)) == built
        assert sorted(session.execute(select(DashboardEntry.__table__)).all()) == sorted(entries)
    app.extensions["viewpoint.engine"].dispose()


def test_two_tablets_finishing_for_one_child_at_once_count_the_child_once(  # type: ignore[no-untyped-def]
        fresh_database: str, tmp_path: Path) -> None:
    """Each round: one child, two codes for two reviews, both finished at the same moment
    in separate transactions. The child is counted once in the quarter, whatever the order."""
    migrate(fresh_database)
    app = create_app(make_config(fresh_database, tmp_path))
    catalogue = app.extensions["viewpoint.questionnaires"]
    for _round in range(4):
        with app.app_context():
            with db.writing() as session:
                child = make_child(session, age=9)
                session.add(Review(plan=child.plans[0], due_on=date.today() + timedelta(days=60)))
                session.flush()
                reviews = sorted(child.plans[0].reviews, key=lambda review: review.due_on)
                ids = []
                for review in reviews:
                    invitation = issue_invitation(session, catalogue, child, review=review,
                                                  offered_languages=("en",)).invitation
                    response = start_response(session, catalogue, invitation)
                    record_answer(session, catalogue, response, "safe_home", "happy")
                    ids.append(response.id)
                child_id = child.id
            db.session.remove()
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def finish(response_id: int, start: threading.Barrier = start,
                   errors: list[BaseException] = errors) -> None:
            try:
                with app.app_context():
                    start.wait()
                    with db.writing() as session:
                        submit_response(session, session.get(Response, response_id), None)
                    db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=finish, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        with app.app_context():
            session = db.session
            entries = session.scalars(select(DashboardEntry).where(
                DashboardEntry.child_id == child_id)).all()
            assert len(entries) == 2
            assert sum(entry.counted_in_quarter for entry in entries) == 1
            assert sum(entry.counted_in_year for entry in entries) == 1
            team = str(session.get(Child, child_id).team_id)
            rows = session.execute(select(IndicatorTotal).where(
                IndicatorTotal.indicator == "safe_home", IndicatorTotal.dimension == "team",
                IndicatorTotal.value == team)).scalars().all()
            assert sorted((row.period_kind, row.positive) for row in rows) == [
                ("quarter", 1), ("year", 1)]
            db.session.remove()
    app.extensions["viewpoint.engine"].dispose()
