"""Who reaches what: every URL in the app, for every role and for nobody signed in.

The table below is the access policy written out from the issue, independently of the
code that enforces it. A new page fails this test until someone decides who may see it.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.factories import make_child, make_team, make_user
from tests.staff import sign_in
from viewpoint.models import Role
from viewpoint.operations.alerts import raise_talk_to_someone
from viewpoint.operations.answers import start_response
from viewpoint.operations.authoring import install_shipped, start_draft
from viewpoint.operations.feedback import write_feedback
from viewpoint.operations.invitations import issue_invitation
from viewpoint.operations.service_accounts import create_service_account
from viewpoint.operations.webhooks import subscribe

SW, TM, IRO, PANEL, ADMIN = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.REVIEWING_OFFICER,
    Role.PANEL_MEMBER,
    Role.ADMINISTRATOR,
)
CASEWORK = {SW, TM, IRO}
EVERYONE = set(Role)
PUBLIC = "public"  # anyone, signed in or not
CHILD = "child"  # the child's pages: their own access code, whatever staff session exists
SYSTEM = "system"  # the API: a service account's token; no staff sign-in opens it

#: endpoint -> who may open it with GET (roles), or PUBLIC / CHILD. POST-only endpoints are
#: listed too: their GET answers 405 for those allowed through the sign-in check.
POLICY: dict[str, object] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "health.livez": PUBLIC,
    "auth.signin": PUBLIC,
    "auth.language": PUBLIC,
    "auth.home": EVERYONE,
    "auth.change_password": EVERYONE,
    "auth.second_factor_page": EVERYONE,
    # The second step of signing in: reached only with a sign-in waiting for its code.
    "auth.second_factor_code": PUBLIC,
    # To and back from the council's identity provider: not configured in this app, so 404
    # (tests/browser/test_browser_council_sign_in.py signs in through a real one).
    "auth.signin_council": PUBLIC,
    "auth.signin_council_done": PUBLIC,
    "auth.signout": EVERYONE,
    "preview.index": EVERYONE,
    "preview.questionnaire": EVERYONE,
    "casework.caseload": CASEWORK,
    "casework.child": CASEWORK,
    "casework.alerts": CASEWORK,
    "casework.alert": CASEWORK,
    "casework.response": CASEWORK,
    "casework.response_pdf": CASEWORK,
    "casework.response_json": CASEWORK,
    "casework.edit_review": CASEWORK,
    "casework.acknowledge_alert": CASEWORK,
    "casework.close_alert": CASEWORK,
    "casework.write_feedback": CASEWORK,
    "casework.share_feedback": {TM},
    "casework.stop_sharing_feedback": {TM},
    "casework.new_child": {SW, TM},
    "casework.edit_child": {SW, TM},
    "casework.new_plan": {SW, TM},
    "casework.edit_plan": {SW, TM},
    "casework.new_review": {SW, TM},
    "casework.invite": {SW, TM},
    "casework.reissue_invitation": {SW, TM},
    "casework.cancel_invitation": {SW, TM},
    "casework.import_children": {TM},
    "casework.import_example": {TM},
    "casework.child_audit": {TM},
    "casework.subject_access": {TM},
    "casework.erase": {TM},
    "casework.add_note": {TM},
    "dashboards.index": {TM, IRO, PANEL},
    "dashboards.download": {TM, IRO, PANEL},
    "dashboards.method": {TM, IRO, PANEL},
    "dashboards.council": {TM, IRO, PANEL},
    "dashboards.no_views": {TM},
    "admin.users": {ADMIN},
    "admin.user": {ADMIN},
    "admin.new_user": {ADMIN},
    "admin.edit_user": {ADMIN},
    "admin.disable_user": {ADMIN},
    "admin.enable_user": {ADMIN},
    "admin.reset_password": {ADMIN},
    "admin.reset_second_factor": {ADMIN},
    "admin.teams": {ADMIN},
    "admin.new_team": {ADMIN},
    "admin.rename_team": {ADMIN},
    "admin.systems": {ADMIN},
    "admin.new_system": {ADMIN},
    "admin.withdraw_system": {ADMIN},
    "admin.system_webhooks": {ADMIN},
    "admin.remove_webhook": {ADMIN},
    "admin.retention_schedule": {ADMIN},
    "admin.retention_period": {ADMIN},
    "admin.place_hold": {ADMIN},
    "admin.lift_hold": {ADMIN},
    "admin.subject_access": {ADMIN},
    # Writing the council's questionnaires: administrators and questionnaire authors.
    **{f"authoring.{name}": {ADMIN, Role.AUTHOR} for name in (
        "index", "upload", "add_indicator", "questionnaire", "start_draft", "publish",
        "withdraw", "workbook", "preview", "language_page", "po_file", "upload_po", "approve",
        "record", "remove_recording", "new_question", "edit_question", "move_question",
        "remove_question", "settings", "new_questionnaire", "as_a_child")},
    # What the council publishes about the service: open to anyone.
    "statements.accessibility": PUBLIC,
    # The API's description is open to anyone; everything else needs a token with a scope
    # (tests/views/test_api_access.py tries every scope and team boundary).
    "api.openapi_document": PUBLIC,
    "api.problem_type": PUBLIC,
    **{f"api.{name}": SYSTEM for name in (
        "teams", "children", "child", "put_child", "plan", "put_plan", "review", "put_review",
        "invitations", "invitation", "issue", "cancel", "new_code", "responses", "response",
        "alerts", "alert", "response_pdf_file", "ssd_voice_of_child", "totals")},
}


def _rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


@pytest.fixture()
def world(app, session):  # type: ignore[no-untyped-def]
    """One team with one of every role, a child with a plan, review, code, response and
    alert, so that every URL has something real to point at."""
    team = make_team(session, "Access Team")
    people = {role: make_user(session, role, team if role in (SW, TM) else None) for role in Role}
    child = make_child(session, team=team, worker=people[SW])
    review = child.plans[0].reviews[0]
    review.chair_id = people[IRO].id
    catalogue = app.extensions["viewpoint.questionnaires"]
    install_shipped(session, app.extensions["viewpoint.library"])
    invitation = issue_invitation(session, catalogue, child).invitation
    # A draft (version 2) for the authors' pages that change one.
    start_draft(session, app.extensions["viewpoint.library"], invitation.questionnaire_key, None)
    response = start_response(session, catalogue, invitation)
    alert = raise_talk_to_someone(session, child, response)
    note = write_feedback(session, response, people[SW], "We arranged more visits.").feedback
    session.flush()
    system = create_service_account(session, name="Access system", scopes=["children:read"],
                                    team_ids=[]).account
    hook = subscribe(session, system, url="https://cms.example/hooks",
                     events=["alert.raised"]).subscription
    values = {
        "child_id": child.id,
        "plan_id": child.plans[0].id,
        "review_id": review.id,
        "invitation_id": invitation.id,
        "response_id": response.id,
        "alert_id": alert.id,
        "user_id": people[SW].id,
        "team_id": team.id,
        "questionnaire_id": invitation.questionnaire_key,
        "band": "8-11",
        "filename": "css/staff.css",
        "key": "q1",
        "table": "headline",
        "feedback_id": note.id,
        "kind": "generated",
        "step": "finish",
        "language": "en",
        "name": "0123456789abcdef01234567.mp3",
        "reference": child.reference,
        "problem": "validation", "account_id": system.id,
        "subscription_id": hook.id,
        "record_type": "responses", "plan_kind": "care_plan", "hold_id": 1,
        "questionnaire_key": invitation.questionnaire_key, "number": 2,
        "digest": "0123456789abcdef01234567", "question_key": "safe_home", "screen": 1,
    }
    return people, values


def _url(rule: Rule, values: dict[str, object]) -> str:
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(rf"<(?:[^<>]*:)?{argument}>", str(values[argument]), url)
    return url


def test_every_endpoint_has_a_decided_policy(app) -> None:  # type: ignore[no-untyped-def]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undecided = {e for e in endpoints if e not in POLICY and not e.startswith("respond.")}
    assert undecided == set(), f"decide who may reach: {sorted(undecided)}"
    assert set(POLICY) - endpoints == set(), "policy lists pages that no longer exist"


def _expected(rule: Rule, who: Role | None) -> set[int]:
    policy = POLICY[rule.endpoint]
    if "GET" not in (rule.methods or set()):
        return {405}  # routing refuses the method before anything is looked at
    if rule.endpoint == "auth.signin":
        return {200} if who is None else {302}  # signed in: on to their home page
    if rule.endpoint == "auth.second_factor_code":
        return {302}  # no sign-in is waiting for a code: back to the sign-in page
    if rule.endpoint in ("auth.signin_council", "auth.signin_council_done"):
        return {404}  # no identity provider is configured here
    if policy == PUBLIC:
        return {200}
    if policy == SYSTEM:
        return {401}  # a staff member's cookie is not a token
    if who is None:  # signed out: sent to sign in, never shown anything
        return {302}
    if who not in policy:  # type: ignore[operator]
        return {403}
    return {302} if rule.endpoint == "auth.home" else {200}


@pytest.mark.parametrize("who", [None, *Role], ids=lambda r: r.value if r else "signed_out")
def test_every_url_answers_as_the_policy_says_for_every_role(app, session, world, who) -> None:  # type: ignore[no-untyped-def]
    people, values = world
    client = app.test_client()
    if who is not None:
        sign_in(client, people[who], session)
    wrong = []
    # (A PUT or POST sharing its address with a GET rule is answered by that rule's view.)
    read_by_get = {rule.rule for rule in _rules(app) if "GET" in (rule.methods or ())}
    for rule in _rules(app):
        if rule.endpoint.startswith("respond.") or (
                "GET" not in (rule.methods or ()) and rule.rule in read_by_get):
            continue
        url = _url(rule, values)
        with client.get(url) as response:
            status = response.status_code
        if status not in _expected(rule, who):
            wrong.append((rule.endpoint, url, status, sorted(_expected(rule, who))))
        if who is None and status == 302:
            with client.get(url) as response:
                assert response.headers["Location"].startswith("/staff/signin")
    assert wrong == []


def test_a_staff_sign_in_opens_none_of_the_childs_pages(app, session, world) -> None:  # type: ignore[no-untyped-def]
    people, values = world
    anonymous = app.test_client()
    worker = sign_in(app.test_client(), people[SW], session)
    for rule in _rules(app):
        if not rule.endpoint.startswith("respond.") or "GET" not in (rule.methods or ()):
            continue
        url = _url(rule, values)
        assert worker.get(url).status_code == anonymous.get(url).status_code, url


#: POSTs that carry no CSRF token, each with what protects it instead (tested where named).
NO_CSRF_TOKEN = {
    # Signing in has its own token check, tested below with an anonymous client.
    "auth.signin": "tested below",
    # Reads words aloud: changes nothing in anyone's session; only words the app signed
    # are spoken (tests/views/test_safeguarding_paths.py tries unsigned and altered words).
    "respond.say": "signed words",
    # What a tablet did offline, sent once it is back online by whichever page is open then:
    # sealed with the response's own key (tests/views/test_offline.py tries a forged
    # reference, another child's record and a tampered one).
    "respond.sync": "sealed for the server",
    # The API takes a service account's bearer token, never a cookie, so a page elsewhere
    # cannot make a browser call it (tests/views/test_api_access.py).
    "api.put_child": "bearer token", "api.put_plan": "bearer token",
    "api.put_review": "bearer token", "api.issue": "bearer token",
    "api.cancel": "bearer token", "api.new_code": "bearer token",
}


def test_every_state_changing_request_without_a_csrf_token_is_refused(app, session, world) -> None:  # type: ignore[no-untyped-def]
    """Signed in as someone allowed to do each thing, a POST without the token changes
    nothing and answers 400; the child's pages answer as they do for a stale form (back to
    the start page, kindly worded, or 401 for the JSON autosave)."""
    people, values = world
    checked = 0
    clients: dict[Role, object] = {}
    for rule in _rules(app):
        if "POST" not in (rule.methods or set()) or rule.endpoint in NO_CSRF_TOKEN:
            continue
        policy = POLICY.get(rule.endpoint, CHILD)
        role = SW if policy in (CHILD, PUBLIC) or SW in policy else next(iter(policy))  # type: ignore[operator]
        if role not in clients:
            clients[role] = sign_in(app.test_client(), people[role], session)
        client = clients[role]
        response = client.post(
            _url(rule, values),  # type: ignore[attr-defined]
            data={"action_taken": "x" * 20},
        )
        if rule.endpoint.startswith("respond."):
            assert response.status_code == 401 or (
                response.status_code == 302 and "why=stale" in response.headers["Location"]
            ), (rule.endpoint, response.status_code)
        else:
            assert response.status_code == 400, (rule.endpoint, response.status_code)
        checked += 1
    anonymous = app.test_client()
    assert (
        anonymous.post("/staff/signin", data={"email": "a@b.c", "password": "x"}).status_code == 400
    )
    assert checked >= 20
