"""The records manager's commands on the demo council: a subject access export for a demo
child holds every answer, alert and view of their record and nothing about another child;
`viewpoint audit verify` finds a row changed behind the service's back; `audit export`
gives a date range with its hashes; `retention run` lists before it destroys."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import FreshRequestClient
from tests.staff import sign_in, token_from
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import (
    Alert,
    Answer,
    AuditEvent,
    Child,
    Plan,
    PlanKind,
    Response,
    Role,
    User,
)

pytestmark = pytest.mark.slow


@pytest.fixture()
def demo(databases, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path))
    app.test_client_class = FreshRequestClient
    result = app.test_cli_runner().invoke(
        args=["demo", "--today", "2026-11-21", "--responses", "300"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["viewpoint.engine"].dispose()


def _demo_child_with_alerts(session):  # type: ignore[no-untyped-def]
    """A demo child with more than one response and at least one alert, and their manager."""
    child_id = session.scalar(
        select(Alert.child_id).join(Response, Response.child_id == Alert.child_id)
        .group_by(Alert.child_id).having(func.count(func.distinct(Response.id)) > 1)
        .order_by(Alert.child_id).limit(1))
    child = session.get(Child, child_id)
    manager = session.scalars(select(User).where(User.role == Role.TEAM_MANAGER,
                                                 User.team_id == child.team_id)).first()
    return child, manager


def test_a_demo_childs_export_holds_all_of_theirs_and_nothing_of_anyone_elses(demo) -> None:  # type: ignore[no-untyped-def]
    with demo.app_context():
        session = db.session
        child, manager = _demo_child_with_alerts(session)
        client = sign_in(demo.test_client(), manager, session)
        # The manager reads the record and one response first: views to be listed.
        responses = session.scalars(select(Response).where(Response.child_id == child.id)).all()
        client.get(f"/casework/children/{child.id}")
        client.get(f"/casework/responses/{responses[0].id}")
        views = session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.child_id == child.id))
        answers = session.execute(select(Answer.response_id, Answer.question_key).join(Response)
                                  .where(Response.child_id == child.id)).all()
        alerts = session.scalar(select(func.count()).select_from(Alert)
                                .where(Alert.child_id == child.id))
        others = session.execute(select(Child.reference, Child.first_name, Child.last_name)
                                 .where(Child.id != child.id)).all()
        path = f"/casework/children/{child.id}/subject-access"
        page = client.get(path).get_data(as_text=True)
        got = client.post(path, data={"csrf_token": token_from(page), "format": "json"})
        assert got.status_code == 200, got.get_data(as_text=True)[:3000]
        record = got.get_json()
        text_of_it = got.get_data(as_text=True)
        db.session.remove()
    given = {(sent["id"], answer["question"]) for sent in record["responses"]
             for answer in sent["answers"] if answer["state"] in ("answered", "declined")}
    assert given == {(row.response_id, row.question_key) for row in answers}
    assert len(record["responses"]) == len(responses)
    assert len(record["alerts"]) == alerts >= 1
    assert len(record["who_viewed"]) == views >= 2
    for reference, first, last in others:
        assert reference not in text_of_it
        if (first, last) != (child.first_name, child.last_name):
            assert f"{first} {last}" not in text_of_it


def test_audit_verify_finds_a_changed_row_and_export_gives_the_days_asked(demo) -> None:  # type: ignore[no-untyped-def]
    runner = demo.test_cli_runner()
    with demo.app_context():
        session = db.session
        child, manager = _demo_child_with_alerts(session)
        client = sign_in(demo.test_client(), manager, session)
        client.get(f"/casework/children/{child.id}")
        db.session.remove()
    whole = runner.invoke(args=["audit", "verify"])
    assert whole.exit_code == 0, whole.output
    assert "The audit trail is whole" in whole.output
    end = next(line for line in whole.output.splitlines() if line.startswith("Its end: "))
    anchor = end.removeprefix("Its end: ")
    exported = runner.invoke(args=["audit", "export", "--from", "2000-01-01", "--to",
                                   "2100-01-01"])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert rows and all(row["row_hash"] for row in rows)
    assert any(row["action"] == "child.viewed" and row["child_id"] == str(child.id)
               for row in rows)
    empty = runner.invoke(args=["audit", "export", "--from", "2001-01-01", "--to",
                                "2001-01-31"])
    assert empty.output.strip().count("\n") == 0  # the header alone
    with demo.app_context():
        viewed = db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "child.viewed").order_by(AuditEvent.id))
        db.session.execute(text("UPDATE audit_event SET actor_id = NULL WHERE id = :id"),
                           {"id": viewed})
        db.session.commit()
        db.session.remove()
    broken = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert broken.exit_code == 1
    assert f"audit event {viewed} " in broken.output and "was changed" in broken.output


def test_retention_run_lists_first_and_destroys_only_when_told(demo) -> None:  # type: ignore[no-untyped-def]
    """Far enough ahead everything is due, except what is kept under a child protection
    plan still open (its period counts from the last contact, and there has been none)."""
    runner = demo.test_cli_runner()
    with demo.app_context():
        children = db.session.scalar(select(func.count()).select_from(Child))
        still_open = db.session.scalar(select(func.count(func.distinct(Plan.child_id))).where(
            Plan.kind == PlanKind.CHILD_PROTECTION, Plan.ended_on.is_(None)))
        db.session.remove()
    assert 0 < still_open < children
    listed = runner.invoke(args=["retention", "run", "--today", "2200-01-01"])
    assert listed.exit_code == 0, listed.output
    assert f"case: {children - still_open}\n" in listed.output
    assert "dry run" in listed.output
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == children
        db.session.remove()
    done = runner.invoke(args=["retention", "run", "--today", "2200-01-01", "--apply",
                               "--batch", "50"])
    assert done.exit_code == 0, done.output
    assert "Destroyed" in done.output
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Child)) == still_open
        db.session.remove()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
