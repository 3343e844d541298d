"""The data model's own rules, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from viewpoint.models import (
    Alert,
    AlertSource,
    Answer,
    AuditEvent,
    AuditLogIsAppendOnly,
    Child,
    EthnicityGroup,
    Gender,
    Invitation,
    Plan,
    PlanKind,
    QuestionnaireVersion,
    Response,
    Review,
    Role,
    Team,
    User,
)


def _child(session, reference: str = "T-1") -> Child:  # type: ignore[no-untyped-def]
    team = Team(name=f"Team {reference}")
    child = Child(reference=reference, first_name="Wren", last_name="Alder",
                  date_of_birth=date(2015, 5, 1), gender=Gender.GIRL,
                  ethnicity_group=EthnicityGroup.WHITE, preferred_language="en", team=team)
    session.add(child)
    session.flush()
    return child


def _response(session) -> Response:  # type: ignore[no-untyped-def]
    child = _child(session)
    plan = Plan(child=child, kind=PlanKind.CARE_PLAN, started_on=date(2025, 1, 1))
    review = Review(plan=plan, due_on=date(2025, 2, 1))
    version = QuestionnaireVersion(questionnaire_key="q", band="8-11", language="en",
                                   digest="d" * 64, content={"questions": []})
    invitation = Invitation(child=child, review=review, questionnaire_key="q", language="en",
                            code_hash="h" * 64, expires_at=datetime.now(UTC) + timedelta(days=14))
    response = Response(invitation=invitation, child=child, plan=plan, review=review,
                        questionnaire_version=version, questionnaire_key="q", band="8-11",
                        language="en")
    session.add(response)
    session.flush()
    return response


def test_times_come_back_timezone_aware_in_utc(session) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
    team = Team(name="Time team", created_at=moment)
    session.add(team)
    session.flush()
    session.expire_all()
    stored = session.scalar(select(Team.created_at).where(Team.id == team.id))
    assert stored == moment and stored.tzinfo is not None


def test_naive_datetimes_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    session.add(Team(name="Naive", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_a_role_outside_the_list_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((StatementError, LookupError)):
        session.add(User(email="x@example.test", display_name="X", role="superuser"))
        session.flush()
    session.rollback()
    session.add(User(email="y@example.test", display_name="Y", role=Role.PANEL_MEMBER))
    session.flush()


def test_one_answer_per_question_per_response(session) -> None:  # type: ignore[no-untyped-def]
    response = _response(session)
    session.add(Answer(response=response, question_key="safe_home", value={"v": "happy"}))
    session.flush()
    session.add(Answer(response=response, question_key="safe_home", value={"v": "sad"}))
    with pytest.raises(IntegrityError):
        session.flush()


def test_an_alert_cannot_be_closed_without_saying_what_was_done(session) -> None:  # type: ignore[no-untyped-def]
    response = _response(session)
    alert = Alert(child=response.child, response=response, question_key="safe_home",
                  source=AlertSource.ANSWER, summary="Said they do not feel safe at home",
                  closed_at=datetime.now(UTC), action_taken="")
    session.add(alert)
    with pytest.raises(IntegrityError, match="closed_with_action"):
        session.flush()


def test_an_alert_closed_with_an_action_is_stored(session) -> None:  # type: ignore[no-untyped-def]
    response = _response(session)
    session.add(Alert(child=response.child, response=response, source=AlertSource.TALK_TO_SOMEONE,
                      summary="Asked to talk to someone", closed_at=datetime.now(UTC),
                      action_taken="Phoned the same afternoon"))
    session.flush()
    assert session.scalar(select(Alert.action_taken)) == "Phoned the same afternoon"


def test_the_audit_log_cannot_be_changed_or_deleted(session) -> None:  # type: ignore[no-untyped-def]
    event = AuditEvent(action="response.viewed", child_id=1, subject_type="response",
                       subject_id=1, remote_addr="127.0.0.1")
    session.add(event)
    session.flush()
    event.action = "nothing.happened"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    session.add(stored := AuditEvent(action="signin.succeeded"))
    session.flush()
    session.delete(stored)
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()


def test_a_plan_cannot_end_before_it_starts(session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session, "T-2")
    session.add(Plan(child=child, kind=PlanKind.CHILD_IN_NEED, started_on=date(2026, 5, 1),
                     ended_on=date(2026, 4, 1)))
    with pytest.raises(IntegrityError, match="ends_after_start"):
        session.flush()


def test_age_counts_whole_years(session) -> None:  # type: ignore[no-untyped-def]
    child = _child(session, "T-3")  # born 2015-05-01
    assert child.age_on(date(2026, 4, 30)) == 10
    assert child.age_on(date(2026, 5, 1)) == 11
