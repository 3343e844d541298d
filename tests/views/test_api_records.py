"""The case-management system's calls, as it makes them: records sent twice, pages walked,
questionnaires issued and withdrawn, answers read for the case record. Every reply is
checked against the OpenAPI document the app serves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from tests.api import Document, call, make_token
from tests.factories import make_child, make_team, make_user
from tests.views.test_reading import answered
from viewpoint.models import AuditEvent, Child, Invitation, InvitationState, Role


@pytest.fixture()
def team(session):  # type: ignore[no-untyped-def]
    team = make_team(session, "North")
    make_user(session, Role.SOCIAL_WORKER, team)
    session.flush()
    return team


@pytest.fixture()
def document(client) -> Document:  # type: ignore[no-untyped-def]
    return Document(client)


CHILD = {"first_name": "Maya", "last_name": "Oakes", "date_of_birth": "2014-05-04",
         "gender": "girl", "preferred_language": "pl"}


def test_the_openapi_document_is_valid_openapi_3_1(client) -> None:  # type: ignore[no-untyped-def]
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    body = served.get_json()
    assert body["openapi"] == "3.1.0"
    validate(body)  # raises if the document breaks the OpenAPI 3.1 specification
    # Every problem type it names is described at its address.
    for name in body["components"]["responses"]:
        described = client.get(f"/api/v1/problems/{name}")
        assert described.status_code == 200
        assert described.get_json()["description"]


def test_every_api_address_is_in_the_document_and_every_operation_exists(app, client) -> None:  # type: ignore[no-untyped-def]
    documented = {(method, path) for method, path, _scope in Document(client).operations()}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in (
                "api.openapi_document", "api.problem_type"):
            continue
        path = rule.rule.replace("<path:reference>", "{reference}").replace("<table>", "{table}")
        for argument in ("invitation_id", "response_id", "alert_id"):
            path = path.replace(f"<int:{argument}>", "{" + argument + "}")
        served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def test_a_child_sent_twice_is_added_once_and_changed_only_when_something_changed(  # type: ignore[no-untyped-def]
        client, session, team, document) -> None:
    token = make_token(session, teams=[team])
    first = call(client, "PUT", "/api/v1/children/CMS-77", token, CHILD)
    assert first.status_code == 201
    document.check("Child", first.get_json())
    edits = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(["child.created", "child.edited"]))
    assert session.scalar(edits) == 1
    again = call(client, "PUT", "/api/v1/children/CMS-77", token, CHILD)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert session.scalar(edits) == 1  # nothing changed, nothing recorded as changed
    # Fields left out keep what viewpoint holds (as an empty cell in the import does).
    moved = call(client, "PUT", "/api/v1/children/CMS-77", token, {
        "first_name": "Maya", "last_name": "Oakes-Reed", "date_of_birth": "2014-05-04"})
    assert moved.status_code == 200
    assert moved.get_json()["last_name"] == "Oakes-Reed"
    assert moved.get_json()["preferred_language"] == "pl"
    assert session.scalar(edits) == 2
    assert session.scalar(select(func.count()).select_from(Child).where(
        Child.reference == "CMS-77")) == 1


def test_a_plan_and_its_review_are_found_again_by_their_references_and_a_plan_ends(  # type: ignore[no-untyped-def]
        client, session, team, document) -> None:
    token = make_token(session, teams=[team])
    call(client, "PUT", "/api/v1/children/CMS-5", token, CHILD)
    plan = {"child_reference": "CMS-5", "kind": "care_plan", "placement_type": "foster",
            "started_on": "2025-02-01"}
    assert call(client, "PUT", "/api/v1/plans/PLAN-5", token, plan).status_code == 201
    assert call(client, "PUT", "/api/v1/plans/PLAN-5", token, plan).status_code == 200
    review = {"plan_reference": "PLAN-5", "due_on": (date.today() + timedelta(days=20))
              .isoformat()}
    made = call(client, "PUT", "/api/v1/reviews/REV-5", token, review)
    assert made.status_code == 201
    document.check("Review", made.get_json())
    child = call(client, "GET", "/api/v1/children/CMS-5", token).get_json()
    document.check("Child", child)
    assert [p["reference"] for p in child["plans"]] == ["PLAN-5"]
    assert [r["reference"] for r in child["plans"][0]["reviews"]] == ["REV-5"]
    ended = call(client, "PUT", "/api/v1/plans/PLAN-5", token, {**plan,
                                                               "ended_on": "2026-01-31"})
    assert ended.status_code == 200 and ended.get_json()["ended_on"] == "2026-01-31"
    document.check("Plan", call(client, "GET", "/api/v1/plans/PLAN-5", token).get_json())
    # A plan reference cannot be moved to another child.
    call(client, "PUT", "/api/v1/children/CMS-6", token, CHILD)
    stolen = call(client, "PUT", "/api/v1/plans/PLAN-5", token, {**plan,
                                                                "child_reference": "CMS-6"})
    assert stolen.status_code == 409
    document.check("Problem", stolen.get_json())


def test_a_date_that_is_not_on_the_calendar_is_a_field_error_not_a_failure(  # type: ignore[no-untyped-def]
        client, session, team) -> None:
    token = make_token(session, teams=[team])
    sent = call(client, "PUT", "/api/v1/children/CMS-8", token,
                {**CHILD, "date_of_birth": "2014-02-30"})
    assert sent.status_code == 422
    assert sent.get_json()["errors"] == [
        {"pointer": "#/date_of_birth", "detail": "2014-02-30 is not a date on the calendar."}]
    unknown = call(client, "PUT", "/api/v1/children/CMS-8", token, {**CHILD, "age": 9})
    assert unknown.status_code == 422
    assert "age" in unknown.get_json()["errors"][0]["detail"]
    not_json = client.put("/api/v1/children/CMS-8", data="first_name=Maya",
                          headers={"Authorization": f"Bearer {token}"},
                          content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 415


def test_pages_are_walked_to_the_end_each_child_once_even_when_children_are_added_meanwhile(  # type: ignore[no-untyped-def]
        client, session, team, document) -> None:
    token = make_token(session, teams=[team])
    for _number in range(5):
        make_child(session, team=team)
    seen: list[str] = []
    url = "/api/v1/children?limit=2"
    pages = 0
    while url:
        answer = call(client, "GET", url, token)
        assert answer.status_code == 200
        body = answer.get_json()
        document.check("ChildPage", body)
        seen += [child["reference"] for child in body["items"]]
        pages += 1
        if pages == 1:
            make_child(session, team=team)  # added while the system is paging
        url = body["next"]
    assert len(seen) == len(set(seen)) == 6
    assert pages == 3
    for bad in ("limit=0", "limit=201", "limit=two", "after=bm9wZQ", "after=%%%"):
        refused = call(client, "GET", f"/api/v1/children?{bad}", token)
        assert refused.status_code == 400, bad
        assert refused.get_json()["errors"][0]["pointer"].startswith("#/query/")


def test_a_questionnaire_is_issued_once_per_idempotency_key_and_its_code_given_once(  # type: ignore[no-untyped-def]
        client, session, team, document) -> None:
    child = make_child(session, team=team)
    token = make_token(session, teams=[team])
    body = {"child_reference": child.reference}
    first = call(client, "POST", "/api/v1/invitations", token, body,
                 **{"Idempotency-Key": "cms-send-42"})
    assert first.status_code == 201
    document.check("Invitation", first.get_json())
    assert first.get_json()["code"]
    again = call(client, "POST", "/api/v1/invitations", token, body,
                 **{"Idempotency-Key": "cms-send-42"})
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert "code" not in again.get_json()
    assert session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.child_id == child.id)) == 1
    # Another system's same key is its own.
    other = make_token(session, teams=[team], name="another system")
    assert call(client, "POST", "/api/v1/invitations", other, body,
                **{"Idempotency-Key": "cms-send-42"}).status_code == 201
    new = call(client, "POST", f"/api/v1/invitations/{first.get_json()['id']}/new-code", token)
    assert new.status_code == 200 and new.get_json()["code"] != first.get_json()["code"]
    cancelled = call(client, "POST", f"/api/v1/invitations/{first.get_json()['id']}/cancel",
                     token)
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    listed = call(client, "GET", "/api/v1/invitations?state=cancelled", token).get_json()
    document.check("InvitationPage", listed)
    assert [item["id"] for item in listed["items"]] == [first.get_json()["id"]]
    assert all("code" not in item for item in listed["items"])


def test_a_sent_response_cannot_be_cancelled_and_a_review_already_held_gets_no_questionnaire(  # type: ignore[no-untyped-def]
        app, client, session, team) -> None:
    child = make_child(session, team=team)
    response = answered(session, app, child, {"safe_home": "happy"})
    token = make_token(session, teams=[team])
    refused = call(client, "POST", f"/api/v1/invitations/{response.invitation_id}/cancel", token)
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "The child has already sent their answers."
    assert response.invitation.state is InvitationState.SUBMITTED
    child.plans[0].reviews[0].held_on = date.today()
    session.flush()
    held = call(client, "POST", "/api/v1/invitations", token,
                {"child_reference": child.reference})
    assert held.status_code == 409


def test_a_sent_response_reads_as_the_worker_reads_it_and_one_being_answered_is_not_given(  # type: ignore[no-untyped-def]
        app, client, session, team, document) -> None:
    child = make_child(session, team=team, language="pl")
    sent = answered(session, app, child, {
        "safe_home": "sad", "hurting_me": "yes", "stay_change": "Chcę zostać tutaj"},
        language="pl")
    waiting = answered(session, app, make_child(session, team=team), {"safe_home": "happy"},
                       sent_days_ago=None)
    token = make_token(session, teams=[team], scopes=["responses:read"])
    listed = call(client, "GET", "/api/v1/responses", token).get_json()
    document.check("ResponsePage", listed)
    assert [item["id"] for item in listed["items"]] == [sent.id]
    assert listed["items"][0]["alerts"] >= 1
    assert call(client, "GET", f"/api/v1/responses/{waiting.id}", token).status_code == 404
    body = call(client, "GET", f"/api/v1/responses/{sent.id}", token).get_json()
    document.check("Response", body)
    answers = {answer["question"]: answer for answer in body["answers"]}
    assert answers["safe_home"]["state"] == "answered"
    assert answers["safe_home"]["answer"] and answers["safe_home"]["indicator_state"] \
        == "not_positive"
    assert answers["hurting_me"]["flagged"] is True
    assert answers["stay_change"]["answer"] == "Chcę zostać tutaj"
    assert answers["stay_change"]["own_words"] is True
    assert answers["stay_change"]["written_in"] == "pl"
    assert answers["safe_home"]["wording_as_served"]  # the Polish wording the child read
    assert body["questionnaire_version"] == sent.questionnaire_version.digest
    assert body["language"] == "pl"
    # Only what was sent after a moment, for a system that pulls new responses.
    later = (sent.submitted_at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert call(client, "GET", f"/api/v1/responses?submitted_after={later}",
                token).get_json()["items"] == []
    assert call(client, "GET", "/api/v1/responses?submitted_after=yesterday",
                token).status_code == 400


def test_alerts_are_listed_open_or_closed(app, client, session, team, document) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, team=team)
    answered(session, app, child, {"hurting_me": "yes"})
    token = make_token(session, teams=[team], scopes=["alerts:read"])
    opened = call(client, "GET", "/api/v1/alerts?state=open", token).get_json()
    document.check("AlertPage", opened)
    assert opened["items"] and all(item["closed_at"] is None for item in opened["items"])
    assert call(client, "GET", "/api/v1/alerts?state=closed", token).get_json()["items"] == []
    one = call(client, "GET", f"/api/v1/alerts/{opened['items'][0]['id']}", token)
    document.check("Alert", one.get_json())
    assert call(client, "GET", "/api/v1/alerts?state=shut", token).status_code == 400


def test_a_mistyped_query_parameter_is_refused_not_ignored(client, session, team) -> None:  # type: ignore[no-untyped-def]
    token = make_token(session, teams=[team])
    refused = call(client, "GET", "/api/v1/responses?submited_after=2026-01-01T00:00:00Z", token)
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == [
        {"pointer": "#/query/submited_after", "detail": "Not a parameter of this operation."}]
    assert call(client, "GET", "/api/v1/responses?limit=5", token).status_code == 200


def test_a_get_sent_with_a_json_content_type_is_answered(client, session, team) -> None:  # type: ignore[no-untyped-def]
    """Systems set Content-Type: application/json on every call (found by the README's
    example script, which the pages' rule against JSON had refused)."""
    token = make_token(session, teams=[team])
    answer = client.get("/api/v1/children", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert answer.status_code == 200
