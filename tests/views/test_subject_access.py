"""A young person asks for everything the service holds about them: a manager (or an
administrator, by reference) produces it in seconds, as a PDF and a machine-readable file,
with every answer (in their language and in English), alert, note, message and view of their
record; nothing about another child; other people's names removed when asked; audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_user
from tests.staff import sign_in, token_from
from tests.views.test_printed_words import _pdftotext
from tests.views.test_reading import answered
from viewpoint import audit
from viewpoint.extensions import db
from viewpoint.models import Alert, AuditEvent, Child, Role
from viewpoint.operations.alerts import acknowledge_alert, close_alert
from viewpoint.operations.feedback import write_feedback
from viewpoint.operations.rectification import add_answer_note


def _young_person(app, session):  # type: ignore[no-untyped-def]
    """A 14-year-old who answered in Polish, wrote about Jayden (another child), raised an
    alert that was acted on, was written back to, and whose record was looked at."""
    child = make_child(session, age=14, first_name="Kasia", language="pl")
    manager = make_user(session, Role.TEAM_MANAGER, child.team, name="Morgan Reed")
    colleague = make_user(session, Role.SOCIAL_WORKER, child.team, name="Dale Cooper")
    response = answered(session, app, child, {
        "safe_home": "sad", "stay_here": "no",
        "stay_change": "I want to live with my aunt, away from Jayden."}, language="pl")
    alert = session.scalars(select(Alert).where(Alert.child_id == child.id)).first()
    acknowledge_alert(alert, colleague)
    close_alert(alert, colleague, "Visited Kasia at home; moved Jayden to another room.")
    write_feedback(session, response, child.social_worker,
                   "We asked about you living with your aunt. Jayden has moved room.")
    add_answer_note(session, response, "stay_change", "Kasia later said her aunt lives in Leeds.",
                    manager)
    audit.record("response.viewed", child_id=child.id, subject=response, actor=colleague,
                 session=session)
    session.commit()
    return child, manager, response


def _other_child(app, session, team):  # type: ignore[no-untyped-def]
    other = make_child(session, age=15, team=team, first_name="Zofia")
    answered(session, app, other, {"safe_home": "happy", "stay_here": "no",
                                   "stay_change": "A room of my own at Oakfield."})
    audit.record("child.viewed", child_id=other.id, subject=other, session=session)
    session.commit()
    return other


def _download(client, path: str, form: dict):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": token_from(page.get_data(as_text=True)),
                                   **form})


def test_a_manager_produces_everything_about_the_child_and_nothing_about_another(  # type: ignore[no-untyped-def]
        app, session) -> None:
    child, manager, response = _young_person(app, session)
    other = _other_child(app, session, child.team)
    client = sign_in(app.test_client(), manager, session)
    path = f"/casework/children/{child.id}/subject-access"
    got = _download(client, path, {"format": "json", "colleagues_by_role": "y"})
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].endswith(f'{child.reference}-'
                                                       f'{got.headers["Content-Disposition"][-16:]}')
    assert got.headers["Cache-Control"] == "no-store"
    record = got.get_json()
    assert record["format"] == "viewpoint.subject-access/1"
    assert record["child"]["reference"] == child.reference
    # Every answer, with the question as they read it in Polish and in English.
    [sent] = record["responses"]
    answers = {answer["question"]: answer for answer in sent["answers"]}
    assert answers["stay_change"]["answer"] == "I want to live with my aunt, away from Jayden."
    assert answers["stay_here"]["wording"] == "Would you like to keep living where you are now?"
    assert answers["stay_here"]["wording_as_served"]
    assert answers["stay_here"]["wording_as_served"] != answers["stay_here"]["wording"]
    assert sent["notes"]["stay_change"][0]["note"] == "Kasia later said her aunt lives in Leeds."
    # The alert and what was done, what they were told, who looked.
    [alert] = record["alerts"]
    assert alert["what_was_done"].startswith("Visited Kasia at home")
    assert record["you_said_we_did"][0]["note"].startswith("We asked about you")
    viewed = [view for view in record["who_viewed"] if view["action"] == "response.viewed"]
    assert viewed and viewed[0]["who"] == "Social worker"  # a colleague, by role
    assert record["child"]["details"]["Social worker or personal adviser"] == \
        child.social_worker.display_name  # their own worker stays named
    everything = json.dumps(record, ensure_ascii=False)
    assert "Dale Cooper" not in everything
    # Nothing about the other child.
    for theirs in (other.reference, "Zofia", "Oakfield"):
        assert theirs not in everything
    # Producing it is on the trail, without its content.
    produced = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "subject_access.exported")).one()
    assert produced.child_id == child.id and produced.actor_id == manager.id
    assert produced.detail == {"format": "json", "words": 0, "colleagues_by_role": True}


def test_other_peoples_names_are_removed_when_asked(app, session) -> None:  # type: ignore[no-untyped-def]
    child, manager, _response = _young_person(app, session)
    client = sign_in(app.test_client(), manager, session)
    got = _download(client, f"/casework/children/{child.id}/subject-access",
                    {"format": "json", "redact_words": "jayden\nLeeds"})
    text = got.get_data(as_text=True)
    assert "Jayden" not in text and "Leeds" not in text
    assert "away from [removed]" in text
    record = got.get_json()
    assert record["redaction"] == {"words": 2, "colleagues_by_role": False}
    assert "Dale Cooper" in text  # colleagues named unless asked otherwise


def test_the_pdf_holds_the_answers_and_the_views(app, session) -> None:  # type: ignore[no-untyped-def]
    child, manager, _response = _young_person(app, session)
    client = sign_in(app.test_client(), manager, session)
    got = _download(client, f"/casework/children/{child.id}/subject-access",
                    {"format": "pdf", "redact_words": "Jayden"})
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    flat = re.sub(r"\s+", " ", _pdftotext(got.data))
    for expected in ("Everything viewpoint holds about Kasia Alder", "Your details",
                     "I want to live with my aunt, away from [removed].",
                     "Visited Kasia at home", "Who has looked at your record",
                     "Read the child's answers", "Note added"):
        assert expected in flat, expected
    assert "Jayden" not in flat


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REVIEWING_OFFICER, Role.PANEL_MEMBER])
def test_only_managers_and_administrators_produce_it(app, session, role: Role) -> None:  # type: ignore[no-untyped-def]
    child, _manager, _response = _young_person(app, session)
    client = sign_in(app.test_client(), make_user(session, role, child.team), session)
    assert client.get(f"/casework/children/{child.id}/subject-access").status_code == 403


def test_another_teams_manager_cannot_find_the_child(app, session) -> None:  # type: ignore[no-untyped-def]
    child, _manager, _response = _young_person(app, session)
    elsewhere = make_child(session, age=10)
    client = sign_in(app.test_client(), make_user(session, Role.TEAM_MANAGER, elsewhere.team),
                     session)
    assert client.get(f"/casework/children/{child.id}/subject-access").status_code == 404


def test_an_administrator_finds_the_child_by_reference(app, session) -> None:  # type: ignore[no-untyped-def]
    child, _manager, _response = _young_person(app, session)
    admin = make_user(session, Role.ADMINISTRATOR)
    client = sign_in(app.test_client(), admin, session)
    missing = client.get("/admin/subject-access?reference=NOBODY")
    assert missing.status_code == 400 and "No child has that reference" in missing.get_data(
        as_text=True)
    got = _download(client, f"/admin/subject-access?reference={child.reference}",
                    {"format": "json"})
    assert got.status_code == 200
    assert got.get_json()["child"]["reference"] == child.reference
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "subject_access.exported",
        AuditEvent.actor_id == admin.id)).one().child_id == child.id


def test_a_note_sits_beside_the_answer_which_is_unchanged(app, session) -> None:  # type: ignore[no-untyped-def]
    child, manager, response = _young_person(app, session)
    client = sign_in(app.test_client(), manager, session)
    page = client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    assert "Kasia later said her aunt lives in Leeds." in page
    added = client.post(f"/casework/responses/{response.id}/notes", data={
        "csrf_token": token_from(page), "question": "stay_here", "body": "Checked with Kasia."})
    assert added.status_code == 302 and added.headers["Location"].endswith("#q-stay_here")
    page = client.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    assert "Checked with Kasia." in page
    assert "I want to live with my aunt, away from Jayden." in page
    refused = client.post(f"/casework/responses/{response.id}/notes", data={
        "csrf_token": token_from(page), "question": "not_a_question", "body": "x"})
    assert refused.status_code == 302
    assert "That question is not in this questionnaire." in client.get(
        refused.headers["Location"]).get_data(as_text=True)
    worker = sign_in(app.test_client(), child.social_worker, session)
    theirs = worker.get(f"/casework/responses/{response.id}").get_data(as_text=True)
    assert "Add a note beside this answer" not in theirs
    assert worker.post(f"/casework/responses/{response.id}/notes", data={
        "csrf_token": token_from(theirs), "question": "stay_here", "body": "x"}).status_code == 403


def test_a_manager_erases_a_record_added_in_error(app, session) -> None:  # type: ignore[no-untyped-def]
    child, manager, _response = _young_person(app, session)
    client = sign_in(app.test_client(), manager, session)
    path = f"/casework/children/{child.id}/erase"
    page = client.get(path).get_data(as_text=True)
    wrong = client.post(path, data={"csrf_token": token_from(page), "reason": "Added in error",
                                    "confirm": "T-0"})
    assert wrong.status_code == 400
    assert "Type the child&#39;s reference exactly to confirm." in wrong.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": token_from(page), "reason": "Added in error",
                                   "confirm": child.reference})
    assert done.status_code == 302
    db.session.expire_all()
    assert session.get(Child, child.id) is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "child.erased")).one() \
        .detail["reason"] == "Added in error"
