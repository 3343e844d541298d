"""Records are kept as long as the schedule says and destroyed the day after, unless a legal
hold keeps them; the dashboards' published figures are the same after a run as before.

The clock is the ``today`` each run is given: a test walks a child through the years by
running the schedule on the days that matter."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_child, make_team, make_user, move_into_the_past
from tests.staff import sign_in
from tests.views.test_api_totals import QUERIES, TABLES
from tests.views.test_dashboards import (
    _answered,
    council,  # noqa: F401 (the fixture)
)
from viewpoint.audit import verify_chain
from viewpoint.models import (
    Alert,
    Answer,
    AuditEvent,
    Child,
    Feedback,
    IndicatorTotal,
    Plan,
    PlanKind,
    PublishedIndicator,
    Response,
    Role,
    User,
)
from viewpoint.operations import Refusal
from viewpoint.operations.feedback import write_feedback
from viewpoint.operations.retention import (
    PLAN_RECORDS,
    add_years,
    erase_child,
    lift_hold,
    place_hold,
    run,
    set_period,
)
from viewpoint.operations.totals import rebuild


def _born(session, child: Child, born: date) -> None:  # type: ignore[no-untyped-def]
    child.date_of_birth = born
    session.flush()


def _child_answering_at_nine(app, session, kind: PlanKind = PlanKind.CARE_PLAN):  # type: ignore[no-untyped-def]
    """A child of nine who answers (raising an alert: they feel unsafe at home) and is
    written back to; their plan ends at 18."""
    child = make_child(session, age=9, kind=kind)
    response = _answered(app, session, child, "sad")
    write_feedback(session, response, child.social_worker, "We talked to your carer.")
    plan = child.plans[0]
    plan.ended_on = add_years(child.date_of_birth, 18)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Alert)
                          .where(Alert.child_id == child.id)) >= 1
    return child


def _still_there(session, child_id: int) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(Child, child_id) is not None


def test_a_child_in_care_is_kept_to_their_75th_birthday_and_destroyed_the_day_after(  # type: ignore[no-untyped-def]
        app, session) -> None:
    child = _child_answering_at_nine(app, session)
    child_id, reference, born = child.id, child.reference, child.date_of_birth
    # Every birthday from 10 to 75, nothing of theirs is due.
    for age in range(10, 76):
        report = run(session, add_years(born, age))
        assert reference not in report.references, age
    # On the 75th birthday itself, a real run destroys nothing of theirs.
    run(session, add_years(born, 75), apply=True)
    session.commit()
    assert _still_there(session, child_id)
    # The day after, everything about them goes.
    report = run(session, add_years(born, 75) + timedelta(days=1), apply=True)
    session.commit()
    assert reference in report.references
    assert not _still_there(session, child_id)
    for model in (Response, Alert, Feedback, Plan):
        assert session.scalar(select(func.count()).select_from(model)
                              .where(model.child_id == child_id)) == 0, model
    # The audit trail says what went (counts and the reference), never what it said.
    written = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run")
                              .order_by(AuditEvent.id.desc())).first()
    assert reference in written.detail["child_references"]
    assert written.detail["counts"]["responses"] >= 1
    assert "carer" not in json.dumps(written.detail)
    assert verify_chain(session).broken is None


def test_a_legal_hold_stops_destruction_until_it_is_lifted(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session)
    records_manager = make_user(session, Role.ADMINISTRATOR)
    hold = place_hold(session, child, "Inquiry's request of 1 March", records_manager)
    session.commit()
    long_after = add_years(child.date_of_birth, 80)
    report = run(session, long_after, apply=True)
    session.commit()
    assert child.reference in report.held
    assert _still_there(session, child.id)
    lift_hold(session, hold, records_manager)
    session.commit()
    run(session, long_after, apply=True)
    session.commit()
    assert not _still_there(session, child.id)


def test_a_hold_on_everything_destroys_nothing_at_all(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    place_hold(session, None, "Claim against the council", make_user(session, Role.ADMINISTRATOR))
    session.commit()
    report = run(session, add_years(child.date_of_birth, 200), apply=True)
    session.commit()
    assert report.held_everything
    assert _still_there(session, child.id)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) > events


def test_a_child_in_need_plans_records_go_after_their_period(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session, PlanKind.CHILD_IN_NEED)
    in_care = _child_answering_at_nine(app, session, PlanKind.CARE_PLAN)
    _born(session, in_care, child.date_of_birth)
    session.commit()
    on_25th = add_years(child.date_of_birth, 25)
    run(session, on_25th, apply=True)
    session.commit()
    assert _still_there(session, child.id)
    report = run(session, on_25th + timedelta(days=1), apply=True)
    session.commit()
    assert child.reference in report.references
    assert not _still_there(session, child.id)
    # A child in care born the same day is kept.
    assert _still_there(session, in_care.id)


def test_each_plan_keeps_its_own_records(app, session) -> None:  # type: ignore[no-untyped-def]
    """A child in need at nine, in care from ten: the child in need plan's answers go at 25,
    the child and their care plan's answers stay to 75."""
    child = _child_answering_at_nine(app, session, PlanKind.CHILD_IN_NEED)
    care = Plan(child=child, kind=PlanKind.CARE_PLAN, started_on=add_years(child.date_of_birth, 10))
    session.add(care)
    session.flush()
    cin_response = session.scalars(select(Response.id).where(Response.child_id == child.id)).one()
    report = run(session, add_years(child.date_of_birth, 25) + timedelta(days=1), apply=True)
    session.commit()
    assert _still_there(session, child.id)
    assert report.counts["responses"] == 1
    assert session.get(Response, cin_response) is None
    assert session.scalar(select(func.count()).select_from(Answer)
                          .where(Answer.response_id == cin_response)) == 0


def test_child_protection_records_count_from_the_last_contact(app, session) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=9, kind=PlanKind.CHILD_PROTECTION)
    _answered(app, session, child)
    session.commit()
    # While the plan is open, nothing is due, however long it has run.
    assert child.reference not in run(session, add_years(child.date_of_birth, 100)).references
    ended = add_years(child.date_of_birth, 12)
    child.plans[0].ended_on = ended
    session.commit()
    # The last contact is the response sent today if that is later than the plan's end.
    contact = max(ended, date.today())
    assert child.reference not in run(session, add_years(contact, 40)).references
    assert child.reference in run(session, add_years(contact, 40) + timedelta(days=1)).references


def test_a_council_period_replaces_the_default(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session, PlanKind.CHILD_IN_NEED)
    admin = make_user(session, Role.ADMINISTRATOR)
    with pytest.raises(Refusal):
        set_period(session, "responses", "child_in_need", 30, "birth", "  ", admin)
    with pytest.raises(Refusal):
        set_period(session, "responses", "child_in_need", 0, "birth", "Policy", admin)
    set_period(session, "responses", "child_in_need", 30, "birth", "Council policy 2026/4",
               admin)
    session.commit()
    after_25 = add_years(child.date_of_birth, 25) + timedelta(days=1)
    # Only the responses are kept longer: the rest of the record goes at 25 as before.
    assert run(session, after_25).counts["case"] == 1
    for record in PLAN_RECORDS:
        set_period(session, record, "child_in_need", 30, "birth", "Council policy 2026/4", admin)
    session.commit()
    assert child.reference not in run(session, after_25).references
    assert child.reference in run(session, add_years(child.date_of_birth, 30)
                                  + timedelta(days=1)).references


def test_a_dry_run_destroys_nothing(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session)
    report = run(session, add_years(child.date_of_birth, 90))
    session.commit()
    assert child.reference in report.references
    assert _still_there(session, child.id)
    written = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.dry_run")
                              .order_by(AuditEvent.id.desc())).first()
    assert written.detail["child_references"] is None


def test_switched_off_staff_accounts_lose_their_details_but_not_their_place(app, session) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session)
    leaver = make_user(session, Role.SOCIAL_WORKER, team, name="Ash Leaver")
    stayer = make_user(session, Role.SOCIAL_WORKER, team, name="Ash Stayer")
    leaver.is_active = False
    session.commit()
    run(session, date.today() + timedelta(days=3 * 365), apply=True)
    session.commit()
    session.expire_all()
    assert session.get(User, leaver.id).display_name == "Former member of staff"
    assert session.get(User, leaver.id).password_hash is None
    assert session.get(User, stayer.id).display_name == "Ash Stayer"


def _published(panel) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    return {(table, query): panel.get(f"/dashboards/{file}.csv?{query}").get_data(as_text=True)
            for query in QUERIES for table, file in TABLES.items()}


def test_the_published_figures_are_the_same_after_the_records_are_destroyed(  # type: ignore[no-untyped-def]
        app, session, council) -> None:  # noqa: F811
    move_into_the_past(session)
    panel = sign_in(app.test_client(), make_user(session, Role.PANEL_MEMBER), session)
    before = _published(panel)
    assert any("Feel safe where they live" in text for text in before.values())
    totals = session.scalar(select(func.count()).select_from(IndicatorTotal))
    published = session.scalar(select(func.count()).select_from(PublishedIndicator))
    report = run(session, date.today() + timedelta(days=120 * 365), apply=True)
    session.commit()
    assert report.counts["case"] == 13
    assert session.scalar(select(func.count()).select_from(Response)) == 0
    assert _published(panel) == before
    assert session.scalar(select(func.count()).select_from(IndicatorTotal)) == totals
    assert session.scalar(select(func.count()).select_from(PublishedIndicator)) == published
    # Counting the totals again from what is left does not take the destroyed ones away.
    rebuild(session)
    session.commit()
    assert _published(panel) == before


def test_erasing_a_child_takes_everything_and_says_why(app, session) -> None:  # type: ignore[no-untyped-def]
    child = _child_answering_at_nine(app, session)
    other = _child_answering_at_nine(app, session)
    manager = make_user(session, Role.TEAM_MANAGER, child.team)
    with pytest.raises(Refusal):
        erase_child(session, child, "Added in error", manager, typed_reference="T-wrong")
    with pytest.raises(Refusal):
        erase_child(session, child, " ", manager, typed_reference=child.reference)
    hold = place_hold(session, child, "Complaint", make_user(session, Role.ADMINISTRATOR))
    with pytest.raises(Refusal):
        erase_child(session, child, "Added in error", manager, typed_reference=child.reference)
    lift_hold(session, hold, manager)
    child_id, reference = child.id, child.reference
    erase_child(session, child, "Added in error: the wrong child", manager,
                typed_reference=reference)
    session.commit()
    assert not _still_there(session, child_id)
    assert _still_there(session, other.id)
    written = session.scalars(select(AuditEvent).where(AuditEvent.action == "child.erased")).one()
    assert written.detail["reason"] == "Added in error: the wrong child"
    assert written.detail["child_reference"] == reference
    assert written.actor_id == manager.id
