"""The API's doors: a token sees only what its scopes and teams allow, every call is on the
audit trail, and nobody can shut a council's systems out by guessing.

Every operation is taken from the OpenAPI document the app serves, so an operation added
later is tried here too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api import ALL_SCOPES, Document, call, in_one_minute, make_token
from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from tests.views.test_reading import answered
from viewpoint.extensions import db
from viewpoint.models import Alert, AuditEvent, Child, Plan, Role, ServiceAccount, utcnow
from viewpoint.operations.service_accounts import revoke_service_account


@pytest.fixture()
def council(app, session):  # type: ignore[no-untyped-def]
    """Two teams, each with a child who has answered (with an alert and their own words)."""
    north, south = make_team(session, "North"), make_team(session, "South")
    found = {}
    for team in (north, south):
        child = make_child(session, team=team)
        response = answered(session, app, child, {
            "safe_home": "okay", "hurting_me": "yes", "stay_change": "more visits please"})
        found[team.name] = (child, response)
    session.flush()
    return {"north": north, "south": south, "found": found}


def _urls(council, operation_path: str, team: str = "North") -> str:  # type: ignore[no-untyped-def]
    child, response = council["found"][team]
    invitation = response.invitation
    return (operation_path.replace("{reference}", child.reference)
            .replace("{response_id}", str(response.id))
            .replace("{invitation_id}", str(invitation.id))
            .replace("{alert_id}", str(_alert_id(child))).replace("{table}", "headline"))


def _alert_id(child: Child) -> int:
    return db.session.scalar(select(Alert.id).where(Alert.child_id == child.id))  # type: ignore[return-value]


def test_a_call_without_a_valid_token_gets_a_problem_and_the_way_to_authenticate(  # type: ignore[no-untyped-def]
        client, council) -> None:
    for token in (None, "vpt_not-a-token", "Basic abc"):
        answer = call(client, "GET", "/api/v1/children", token)
        assert answer.status_code == 401
        assert answer.mimetype == "application/problem+json"
        problem = answer.get_json()
        assert problem["type"] == "/api/v1/problems/unauthenticated"
        assert problem["status"] == 401 and problem["detail"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_staff_members_cookie_opens_nothing_in_the_api(  # type: ignore[no-untyped-def]
        app, client, session, council) -> None:
    for role in (Role.ADMINISTRATOR, Role.TEAM_MANAGER):
        person = make_user(session, role, council["north"] if role is Role.TEAM_MANAGER
                           else None)
        signed_in = sign_in(app.test_client(), person, session)
        child, response = council["found"]["North"]
        for url in ("/api/v1/children", f"/api/v1/responses/{response.id}"):
            assert signed_in.get(url).status_code == 401


def test_each_scope_opens_its_own_operations_and_no_other(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    document = Document(client)
    operations = document.operations()
    assert len(operations) >= 17
    tokens = {scope: make_token(session, scopes=[scope], name=scope) for scope in ALL_SCOPES}
    for method, path, needed in operations:
        url = _urls(council, path)
        body = {} if method in ("PUT", "POST") else None
        for scope, token in tokens.items():
            answer = call(client, method, url, token, body)
            if scope == needed:
                assert answer.status_code != 403, (method, path, scope)
            else:
                assert answer.status_code == 403, (method, path, scope, answer.status_code)
                problem = answer.get_json()
                assert problem["type"] == "/api/v1/problems/forbidden-scope"
                assert problem["scope"] == needed


def test_a_token_for_one_team_never_learns_of_another_teams_children(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    document = Document(client)
    token = make_token(session, teams=[council["north"]])
    north_child, north_response = council["found"]["North"]
    south_child, _ = council["found"]["South"]
    for listing in ("children", "responses", "alerts", "invitations"):
        answer = call(client, "GET", f"/api/v1/{listing}?limit=200", token)
        assert answer.status_code == 200
        text = answer.get_data(as_text=True)
        assert south_child.reference not in text
        assert north_child.reference in text
    teams = call(client, "GET", "/api/v1/teams", token).get_json()
    assert [team["name"] for team in teams["items"]] == ["North"]
    # Another team's child answers exactly as a child who does not exist.
    for method, path, _scope in document.operations():
        # (The dashboards' totals are anonymised and council-wide: no child is in them.)
        if "{" not in path or path.startswith("/api/v1/totals/"):
            continue
        theirs = call(client, method, _urls(council, path, "South"), token,
                      {} if method != "GET" else None)
        if method == "GET":
            assert theirs.status_code == 404, path
            nobody = call(client, method, path.replace("{reference}", "NOBODY-1")
                          .replace("{response_id}", "999999").replace("{alert_id}", "999999")
                          .replace("{invitation_id}", "999999"), token)
            assert nobody.status_code == 404
            assert theirs.get_json()["detail"] == nobody.get_json()["detail"]
        else:
            assert theirs.status_code in (404, 422), (path, theirs.status_code)
    # Writing about another team's child through a body is refused the same way.
    plan = call(client, "PUT", "/api/v1/plans/NEW-PLAN-1", token, {
        "child_reference": south_child.reference, "kind": "child_in_need",
        "started_on": "2025-01-01"})
    assert plan.status_code == 404
    assert session.scalar(select(func.count()).select_from(Plan).where(
        Plan.reference == "NEW-PLAN-1")) == 0
    # And its responses in full are out of reach.
    mine = call(client, "GET", f"/api/v1/responses/{north_response.id}", token)
    assert mine.status_code == 200
    document.check("Response", mine.get_json())


def test_an_expired_or_withdrawn_token_is_refused_and_says_why(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    expired = make_token(session, name="old")
    session.scalar(select(ServiceAccount).where(ServiceAccount.name == "old")).expires_at = \
        utcnow() - timedelta(seconds=1)
    withdrawn = make_token(session, name="gone")
    revoke_service_account(session, session.scalar(
        select(ServiceAccount).where(ServiceAccount.name == "gone")))
    session.flush()
    for token, kind in ((expired, "token-expired"), (withdrawn, "token-revoked")):
        answer = call(client, "GET", "/api/v1/children", token)
        assert answer.status_code == 401
        assert answer.get_json()["type"] == f"/api/v1/problems/{kind}"


def test_a_token_past_its_calls_a_minute_is_asked_to_wait_and_others_are_not(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    busy = make_token(session, name="busy", calls_per_minute=3)
    other = make_token(session, name="other")
    in_one_minute()
    statuses = [call(client, "GET", "/api/v1/teams", busy).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    waited = call(client, "GET", "/api/v1/teams", busy)
    assert waited.get_json()["type"] == "/api/v1/problems/rate-limited"
    assert 1 <= int(waited.headers["Retry-After"]) <= 61
    assert call(client, "GET", "/api/v1/teams", other).status_code == 200


def test_a_stranger_guessing_tokens_is_slowed_and_the_councils_system_is_not(  # type: ignore[no-untyped-def]
        client, session, council) -> None:
    real = make_token(session, name="real")
    in_one_minute()
    guesses = [client.get("/api/v1/children",
                          headers={"Authorization": f"Bearer vpt_guess{n}"},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
               for n in range(35)]
    assert guesses[:30] == [401] * 30
    assert set(guesses[30:]) == {429}
    # Every refused guess up to the allowance is on the audit trail; the flood past it is not.
    refused = session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "api.call", AuditEvent.service_account_id.is_(None)))
    assert [detail["status"] for detail in refused] == [401] * 30
    from_elsewhere = client.get("/api/v1/children", headers={"Authorization": f"Bearer {real}"},
                                environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert from_elsewhere.status_code == 200
    # Even from the guessing address, the real token is not locked out.
    same_address = client.get("/api/v1/children", headers={"Authorization": f"Bearer {real}"},
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert same_address.status_code == 200


def test_every_call_is_on_the_audit_trail_naming_the_system(  # type: ignore[no-untyped-def]
        app, client, session, council) -> None:
    token = make_token(session, name="Mosaic sync", teams=[council["north"]])
    account = session.scalar(select(ServiceAccount).where(ServiceAccount.name == "Mosaic sync"))
    child, response = council["found"]["North"]
    before = session.scalar(select(func.max(AuditEvent.id))) or 0
    assert call(client, "GET", f"/api/v1/responses/{response.id}", token).status_code == 200
    refused = call(client, "PUT", f"/api/v1/children/{child.reference}", token,
                   {"first_name": "", "last_name": "Alder", "date_of_birth": "2099-01-01"})
    assert refused.status_code == 422
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.id > before)
                                  .order_by(AuditEvent.id)))
    assert [(event.action, event.service_account_id, event.child_id) for event in events] == [
        ("response.viewed", account.id, child.id),
        ("api.call", account.id, child.id),
        ("api.call", account.id, child.id),
    ]
    assert events[1].detail == {"method": "GET", "route": "/api/v1/responses/<int:response_id>",
                                "status": 200}
    assert events[2].detail["status"] == 422
    # The refused change left the child as they were.
    session.refresh(child)
    assert child.first_name == "Wren"
    # A manager reading who has looked at the record sees the system by name.
    manager = make_user(session, Role.TEAM_MANAGER, council["north"])
    page = sign_in(app.test_client(), manager, session).get(
        f"/casework/children/{child.id}/audit").get_data(as_text=True)
    assert "Mosaic sync" in page
    assert "a connected system" in page
