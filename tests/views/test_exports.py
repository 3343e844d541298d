"""What goes into the case record and the council's data warehouse: the response as a PDF
and as one JSON record (the same through the worker's page and the API), and the Standard
Safeguarding Dataset's voice-of-the-child rows."""

from __future__ import annotations

import csv
import io

import pypdf
from sqlalchemy import select

from tests.api import call, make_token
from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from tests.views.test_reading import answered
from viewpoint.cli import export_ssd
from viewpoint.models import AuditEvent, PlanKind, Role
from viewpoint.records.ssd import COLUMNS, SSD_COLUMNS


def test_the_pdf_for_the_case_record_holds_the_childs_words_and_the_read_is_audited(  # type: ignore[no-untyped-def]
        app, client, session) -> None:
    team = make_team(session)
    child = make_child(session, team=team)
    response = answered(session, app, child, {"stay_change": "I want my own room"})
    token = make_token(session, teams=[team], scopes=["responses:read"], name="Liquidlogic")
    pdf = call(client, "GET", f"/api/v1/responses/{response.id}/pdf", token)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "I want my own room" in " ".join(text.split())
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "response.pdf"))
    assert event.child_id == child.id and event.service_account_id is not None
    other = make_token(session, teams=[make_team(session)], scopes=["responses:read"],
                       name="Other team")
    assert call(client, "GET", f"/api/v1/responses/{response.id}/pdf", other).status_code == 404


def test_the_worker_downloads_the_same_record_the_api_gives(app, client, session) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session)
    worker = make_user(session, Role.SOCIAL_WORKER, team)
    child = make_child(session, team=team, worker=worker, language="pl")
    response = answered(session, app, child, {"safe_home": "sad", "stay_change": "Tak"},
                        language="pl")
    token = make_token(session, teams=[team], scopes=["responses:read"])
    through_api = call(client, "GET", f"/api/v1/responses/{response.id}", token).get_json()
    download = sign_in(app.test_client(), worker, session).get(
        f"/casework/responses/{response.id}.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert child.first_name not in download.headers["Content-Disposition"]
    assert download.get_json() == through_api
    assert through_api["format"] == "viewpoint.response/1"
    assert session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "response.json")) == worker.id


def _ssd(client, token: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    answer = call(client, "GET", "/api/v1/exports/ssd-voice-of-child", token)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def test_the_ssd_rows_carry_yes_and_no_and_leave_what_was_not_said_empty(  # type: ignore[no-untyped-def]
        app, client, session) -> None:
    team = make_team(session)
    said = {}
    for answer in ("yes", "no", "not_sure", None):
        child = make_child(session, team=team, kind=PlanKind.CHILD_PROTECTION, age=13)
        answered(session, app, child, {"understands_decisions": answer} if answer else {},
                 declined=() if answer else ("understands_decisions",))
        said[child.reference] = answer
    make_child(session, team=make_team(session))  # another team's child, not answered
    token = make_token(session, teams=[team], scopes=["responses:read"])
    answer = call(client, "GET", "/api/v1/exports/ssd-voice-of-child", token)
    header = answer.get_data(as_text=True).splitlines()[0]
    assert header.split(",") == COLUMNS
    assert COLUMNS[:len(SSD_COLUMNS)] == [
        "voch_table_id", "voch_person_id", "voch_explained_worries",
        "voch_story_help_understand", "voch_agree_worker", "voch_plan_safe",
        "voch_tablet_help_explain"]
    rows = {row["voch_person_id"]: row for row in _ssd(client, token)}
    assert set(rows) == set(said)
    expected = {"yes": "Y", "no": "N", "not_sure": "", None: ""}
    for reference, answer in said.items():
        row = rows[reference]
        assert row["voch_explained_worries"] == expected[answer], (reference, answer)
        for unasked in ("voch_story_help_understand", "voch_agree_worker", "voch_plan_safe",
                        "voch_tablet_help_explain"):
            assert row[unasked] == ""
        assert row["vp_plan_kind"] == "child_protection"
    # The command line writes the same rows for the warehouse's nightly job.
    printed = app.test_cli_runner().invoke(export_ssd, [])
    assert printed.exit_code == 0, printed.output
    assert {row["voch_person_id"] for row in csv.DictReader(io.StringIO(printed.output))} \
        >= set(said)
