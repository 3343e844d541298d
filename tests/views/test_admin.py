"""Administrators look after staff accounts, roles and teams, and nobody else can."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import make_team, make_user
from tests.staff import PASSWORD, give_password, open_sessions, post, sign_in, token_from
from viewpoint.admin import services
from viewpoint.admin.services import AdminProblem, check_team_for_role, generate_temporary_password
from viewpoint.auth.passwords import password_problems, verify_password
from viewpoint.models import AuditEvent, Role, StaffSession, Team, User, utcnow

TEMPORARY = re.compile(r'<code id="temporary-password">([^<]+)</code>')


@pytest.fixture()
def admin(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.ADMINISTRATOR, name="Ada Keyholder")


@pytest.fixture()
def admin_client(client, session, admin):  # type: ignore[no-untyped-def]
    return sign_in(client, admin, session)


@pytest.fixture()
def team(session):  # type: ignore[no-untyped-def]
    return make_team(session, "Riverside Children in Care Team")


@pytest.fixture()
def worker(session, team):  # type: ignore[no-untyped-def]
    return make_user(session, Role.SOCIAL_WORKER, team, name="Wyn Fieldfare")


def _events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def _user_by_email(session, email: str) -> User | None:  # type: ignore[no-untyped-def]
    return session.scalar(select(User).where(User.email == email))


def _count_users(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(User))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def _edit(client, user: User, **changes):  # type: ignore[no-untyped-def]
    """Submit the edit form as it stands for ``user``, with ``changes``."""
    data = {"display_name": user.display_name, "role": user.role.value,
            "team": user.team_id or "", "is_active": "y" if user.is_active else None}
    data.update(changes)
    return post(client, f"/admin/users/{user.id}/edit",
                {key: value for key, value in data.items() if value is not None})


# --- adding people ----------------------------------------------------------------------------

def test_administrator_adds_a_worker_and_sees_the_temporary_password_once(  # type: ignore[no-untyped-def]
        admin_client, session, admin, team) -> None:
    response = post(admin_client, "/admin/users/new", {
        "email": "  Nia.Brookes@Council.example ", "display_name": "Nia  Brookes",
        "role": "social_worker", "team": team.id})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [password] = TEMPORARY.findall(response.get_data(as_text=True))
    assert password not in (response.headers.get("Location") or "")

    user = _user_by_email(session, "nia.brookes@council.example")
    assert user is not None
    assert (user.display_name, user.role, user.team_id) == ("Nia Brookes", Role.SOCIAL_WORKER,
                                                            team.id)
    assert user.must_change_password and user.is_active
    # Only the hash is kept, and it is an argon2id hash of what was shown.
    assert password not in user.password_hash and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, password)

    # It is never shown again: not on the person's page, not in the list.
    for page in (f"/admin/users/{user.id}", "/admin/users"):
        later = admin_client.get(page)
        assert later.status_code == 200 and password not in later.get_data(as_text=True)

    [event] = _events(session, "admin.user_created")
    assert (event.actor_id, event.subject_type, event.subject_id) == (admin.id, "staff_user",
                                                                      user.id)
    assert event.detail == {"role": "social_worker", "team_id": team.id}
    assert password not in str(event.detail)


def test_the_new_worker_signs_in_with_it_and_must_choose_their_own_password(  # type: ignore[no-untyped-def]
        app, admin_client, team) -> None:
    created = post(admin_client, "/admin/users/new", {
        "email": "ola.marsh@council.example", "display_name": "Ola Marsh",
        "role": "social_worker", "team": team.id})
    [password] = TEMPORARY.findall(created.get_data(as_text=True))

    newcomer = app.test_client()
    page = newcomer.get("/staff/signin").get_data(as_text=True)
    signed_in = newcomer.post("/staff/signin", data={
        "email": "ola.marsh@council.example", "password": password,
        "csrf_token": token_from(page)})
    assert signed_in.status_code == 302
    landing = newcomer.get(signed_in.headers["Location"])
    assert landing.status_code == 302
    assert landing.headers["Location"].startswith("/staff/password")


def test_generated_temporary_passwords_are_strong_and_never_repeat(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        passwords = {generate_temporary_password() for _ in range(200)}
        assert len(passwords) == 200
        sample = next(iter(passwords))
        assert len(sample) >= 16
        assert password_problems(sample, personal=("someone@example.test", "Some One")) == []


def test_an_email_already_used_is_refused_whatever_its_case(  # type: ignore[no-untyped-def]
        admin_client, session, worker, team) -> None:
    before = _count_users(session)
    response = post(admin_client, "/admin/users/new", {
        "email": worker.email.upper(), "display_name": "Someone Else",
        "role": "social_worker", "team": team.id})
    assert response.status_code == 400
    assert f"Another account already uses {worker.email}" in _text(response)
    assert not TEMPORARY.search(response.get_data(as_text=True))
    assert _count_users(session) == before
    assert _events(session, "admin.user_created") == []


def test_two_administrators_adding_the_same_person_at_once_are_told_plainly(  # type: ignore[no-untyped-def]
        app, session, admin, worker, monkeypatch) -> None:
    """The check before saving can pass for both; the database's unique index decides."""
    before = _count_users(session)
    monkeypatch.setattr(services, "_email_taken", lambda *_args: False)
    with app.test_request_context(), pytest.raises(AdminProblem) as refused:
        services.create_user(session, email=worker.email, display_name="Twice Added",
                             role=Role.PANEL_MEMBER, team=None, actor=admin)
    assert refused.value.field == "email" and worker.email in refused.value.message
    # The refused row is gone and the transaction carries on.
    assert _count_users(session) == before
    assert _events(session, "admin.user_created") == []


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.test", "space in@example.test",
                                   "nodomain@localhost", "@example.test"])
def test_something_that_is_not_an_email_address_is_refused(  # type: ignore[no-untyped-def]
        admin_client, session, email: str) -> None:
    before = _count_users(session)
    response = post(admin_client, "/admin/users/new", {
        "email": email, "display_name": "Pat Tern", "role": "panel_member", "team": ""})
    assert response.status_code == 400
    assert "Enter an email address like" in _text(response)
    assert _count_users(session) == before


def test_a_panel_member_needs_no_team(admin_client, session) -> None:  # type: ignore[no-untyped-def]
    response = post(admin_client, "/admin/users/new", {
        "email": "councillor.reed@council.example", "display_name": "Cllr Reed",
        "role": "panel_member", "team": ""})
    assert response.status_code == 200
    user = _user_by_email(session, "councillor.reed@council.example")
    assert user is not None and user.role is Role.PANEL_MEMBER and user.team_id is None


def test_a_social_worker_without_a_team_is_refused(admin_client, session) -> None:  # type: ignore[no-untyped-def]
    response = post(admin_client, "/admin/users/new", {
        "email": "drift@council.example", "display_name": "Dee Rift",
        "role": "social_worker", "team": ""})
    assert response.status_code == 400
    assert "Choose a team: a social worker works with a team's children." in _text(response)
    assert _user_by_email(session, "drift@council.example") is None


def test_a_panel_member_or_administrator_in_a_team_is_refused(admin_client, session, team) -> None:  # type: ignore[no-untyped-def]
    for role in ("panel_member", "administrator"):
        response = post(admin_client, "/admin/users/new", {
            "email": f"{role}@council.example", "display_name": "Tam Ley", "role": role,
            "team": team.id})
        assert response.status_code == 400
        assert "do not belong to a team" in _text(response)
        assert _user_by_email(session, f"{role}@council.example") is None


@pytest.mark.parametrize(("role", "in_a_team", "allowed"), [
    (Role.SOCIAL_WORKER, True, True), (Role.SOCIAL_WORKER, False, False),
    (Role.TEAM_MANAGER, True, True), (Role.TEAM_MANAGER, False, False),
    (Role.REVIEWING_OFFICER, True, True), (Role.REVIEWING_OFFICER, False, True),
    (Role.PANEL_MEMBER, True, False), (Role.PANEL_MEMBER, False, True),
    (Role.ADMINISTRATOR, True, False), (Role.ADMINISTRATOR, False, True),
])
def test_who_belongs_to_a_team(app, role: Role, in_a_team: bool, allowed: bool) -> None:  # type: ignore[no-untyped-def]
    team = Team(name="Any Team") if in_a_team else None
    with app.test_request_context():
        if allowed:
            check_team_for_role(role, team)
        else:
            with pytest.raises(AdminProblem) as refused:
                check_team_for_role(role, team)
            assert refused.value.field == "team" and refused.value.message


def test_a_team_can_have_more_than_one_manager(admin_client, session, team) -> None:  # type: ignore[no-untyped-def]
    make_user(session, Role.TEAM_MANAGER, team)
    response = post(admin_client, "/admin/users/new", {
        "email": "second.manager@council.example", "display_name": "Sec Ond",
        "role": "team_manager", "team": team.id})
    assert response.status_code == 200
    managers = session.scalar(select(func.count()).select_from(User).where(
        User.team_id == team.id, User.role == Role.TEAM_MANAGER))
    assert managers == 2


# --- who may come in --------------------------------------------------------------------------

def _admin_urls(app, user: User, team: Team) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    adapter = app.url_map.bind("localhost")
    # (Ids that name no connected system or webhook: refused before anything is looked up.)
    values = {"user_id": user.id, "team_id": team.id, "account_id": 1, "subscription_id": 1,
              "record_type": "responses", "plan_kind": "care_plan", "hold_id": 1}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((method, url))
    return found


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.TEAM_MANAGER,
                                  Role.REVIEWING_OFFICER, Role.PANEL_MEMBER])
def test_nobody_but_an_administrator_may_open_any_admin_page(  # type: ignore[no-untyped-def]
        app, client, session, role: Role, team, worker) -> None:
    person = make_user(session, role, team if role is not Role.PANEL_MEMBER else None)
    sign_in(client, person, session)
    urls = _admin_urls(app, worker, team)
    assert ("GET", "/admin/users") in urls and ("GET", "/admin/teams") in urls
    assert ("POST", f"/admin/users/{worker.id}/disable") in urls
    for method, url in urls:
        if method == "GET":
            response = client.get(url)
        else:
            response = post(client, url, {"display_name": "Taken Over", "role": "administrator",
                                          "name": "Taken Over", "email": "x@example.test"})
        assert response.status_code == 403, (method, url)
    assert worker.is_active and worker.role is Role.SOCIAL_WORKER
    assert _user_by_email(session, "x@example.test") is None


def test_a_signed_out_visitor_is_sent_to_sign_in(app, client, session, worker, team) -> None:  # type: ignore[no-untyped-def]
    for method, url in _admin_urls(app, worker, team):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/staff/signin")


def test_a_form_posted_without_its_csrf_token_is_refused(admin_client, session, team) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post("/admin/users/new", data={
        "email": "forged@council.example", "display_name": "For Ged",
        "role": "administrator", "team": ""})
    assert response.status_code == 400
    assert _user_by_email(session, "forged@council.example") is None
    assert admin_client.post("/admin/teams/new", data={"name": "Forged"}).status_code == 400
    assert session.scalar(select(Team).where(Team.name == "Forged")) is None


# --- switching accounts off, roles, passwords -------------------------------------------------

def test_switching_a_user_off_ends_their_open_session_at_once(  # type: ignore[no-untyped-def]
        app, admin_client, session, admin, worker) -> None:
    theirs = sign_in(app.test_client(), worker, session)
    assert theirs.get("/staff/password").status_code == 200

    response = post(admin_client, f"/admin/users/{worker.id}/disable")
    assert response.status_code == 302
    assert not worker.is_active and open_sessions(session, worker) == []

    after = theirs.get("/staff/password")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/staff/signin")
    assert "ended=disabled" in after.headers["Location"]
    [event] = _events(session, "admin.user_disabled")
    assert (event.actor_id, event.subject_id, event.detail) == (admin.id, worker.id,
                                                                {"sessions_ended": 1})


def test_switching_a_user_back_on_lets_them_sign_in_again(  # type: ignore[no-untyped-def]
        app, admin_client, session, worker) -> None:
    give_password(worker, session)
    post(admin_client, f"/admin/users/{worker.id}/disable")
    assert post(admin_client, f"/admin/users/{worker.id}/enable").status_code == 302
    assert worker.is_active
    assert len(_events(session, "admin.user_enabled")) == 1
    sign_in(app.test_client(), worker, session)


def test_an_administrator_cannot_switch_themselves_off(admin_client, session, admin) -> None:  # type: ignore[no-untyped-def]
    response = post(admin_client, f"/admin/users/{admin.id}/disable")
    assert response.status_code == 400
    assert "You cannot switch off your own account" in _text(response)
    edited = _edit(admin_client, admin, is_active=None)
    assert edited.status_code == 400
    assert "You cannot switch off your own account" in _text(edited)
    assert admin.is_active
    assert admin_client.get("/admin/users").status_code == 200
    assert _events(session, "admin.user_disabled") == []


def test_an_administrator_cannot_take_away_their_own_administrator_role(  # type: ignore[no-untyped-def]
        admin_client, session, admin) -> None:
    response = _edit(admin_client, admin, role="panel_member")
    assert response.status_code == 400
    assert "You cannot take away your own administrator role" in _text(response)
    assert admin.role is Role.ADMINISTRATOR
    assert admin_client.get("/admin/users").status_code == 200


def test_another_administrator_can_be_switched_off(admin_client, session) -> None:  # type: ignore[no-untyped-def]
    colleague = make_user(session, Role.ADMINISTRATOR, name="Col League")
    assert post(admin_client, f"/admin/users/{colleague.id}/disable").status_code == 302
    assert not colleague.is_active


def test_a_role_change_is_audited_and_ends_their_sessions(  # type: ignore[no-untyped-def]
        app, admin_client, session, admin, worker) -> None:
    theirs = sign_in(app.test_client(), worker, session)
    response = _edit(admin_client, worker, role="reviewing_officer", team="")
    assert response.status_code == 302
    assert worker.role is Role.REVIEWING_OFFICER and worker.team_id is None

    [changed] = _events(session, "admin.role_changed")
    assert (changed.actor_id, changed.subject_type, changed.subject_id) == (
        admin.id, "staff_user", worker.id)
    assert changed.detail == {"from": "social_worker", "to": "reviewing_officer"}
    [moved] = _events(session, "admin.team_changed")
    assert moved.detail["to"] is None

    assert open_sessions(session, worker) == []
    after = theirs.get("/staff/password")
    assert after.status_code == 302 and after.headers["Location"].startswith("/staff/signin")


def test_a_role_change_to_one_that_needs_a_team_is_refused_without_one(  # type: ignore[no-untyped-def]
        admin_client, session) -> None:
    officer = make_user(session, Role.REVIEWING_OFFICER)
    response = _edit(admin_client, officer, role="team_manager", team="")
    assert response.status_code == 400
    assert "Choose a team: a team manager" in _text(response)
    assert officer.role is Role.REVIEWING_OFFICER
    assert _events(session, "admin.role_changed") == []


def test_moving_a_worker_to_another_team_and_renaming_them_is_audited(  # type: ignore[no-untyped-def]
        admin_client, session, worker, team) -> None:
    other = make_team(session, "Hillside Children in Care Team")
    response = _edit(admin_client, worker, team=other.id, display_name="Wyn Fieldfare-Hart")
    assert response.status_code == 302
    assert worker.team_id == other.id and worker.display_name == "Wyn Fieldfare-Hart"
    [moved] = _events(session, "admin.team_changed")
    assert moved.detail == {"from": team.id, "to": other.id}
    assert len(_events(session, "admin.user_renamed")) == 1
    assert _events(session, "admin.role_changed") == []


def test_resetting_a_password_shows_a_new_one_once_and_signs_them_out(  # type: ignore[no-untyped-def]
        app, admin_client, session, admin, worker) -> None:
    theirs = sign_in(app.test_client(), worker, session)
    confirm = admin_client.get(f"/admin/users/{worker.id}/password")
    assert confirm.status_code == 200 and not TEMPORARY.search(confirm.get_data(as_text=True))

    response = post(admin_client, f"/admin/users/{worker.id}/password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [password] = TEMPORARY.findall(response.get_data(as_text=True))
    assert verify_password(worker.password_hash, password)
    assert not verify_password(worker.password_hash, PASSWORD)
    assert worker.must_change_password

    ended = session.scalars(select(StaffSession.ended_reason)
                            .where(StaffSession.user_id == worker.id)).all()
    assert ended == ["password_changed"]
    after = theirs.get("/staff/password")
    assert after.status_code == 302 and "ended=password_changed" in after.headers["Location"]
    [event] = _events(session, "admin.password_reset")
    assert (event.actor_id, event.subject_id) == (admin.id, worker.id)


def test_an_administrator_changes_their_own_password_on_the_password_page(  # type: ignore[no-untyped-def]
        admin_client, session, admin) -> None:
    response = post(admin_client, f"/admin/users/{admin.id}/password")
    assert response.status_code == 400
    assert "use the Password page" in _text(response)
    assert verify_password(admin.password_hash, PASSWORD)


# --- finding people ---------------------------------------------------------------------------

def test_the_staff_list_searches_filters_and_shows_the_last_sign_in(  # type: ignore[no-untyped-def]
        admin_client, session, team, worker) -> None:
    other = make_team(session, "Eastgate Child Protection Team")
    manager = make_user(session, Role.TEAM_MANAGER, other, name="Mo Quarry")
    panel = make_user(session, Role.PANEL_MEMBER, name="Pip Councillor")
    panel.is_active = False
    session.add(StaffSession(token_hash="a" * 64, user_id=worker.id,
                             created_at=utcnow().replace(year=2031, month=3, day=4)))
    session.flush()

    def names(query: str) -> list[str]:
        page = admin_client.get(f"/admin/users{query}")
        assert page.status_code == 200
        return re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', page.get_data(as_text=True))

    everyone = names("")
    assert {"Wyn Fieldfare", "Mo Quarry", "Pip Councillor", "Ada Keyholder"} <= set(everyone)
    assert names("?q=FIELDF") == ["Wyn Fieldfare"]
    assert names(f"?q={manager.email.split('@')[0]}") == ["Mo Quarry"]
    assert names("?role=team_manager") == ["Mo Quarry"]
    assert names(f"?team={team.id}") == ["Wyn Fieldfare"]
    assert "Pip Councillor" in names("?team=none") and "Mo Quarry" not in names("?team=none")
    assert names("?status=disabled") == ["Pip Councillor"]
    assert "Pip Councillor" not in names("?status=active")
    assert names("?q=100%25") == []

    page = admin_client.get(f"/admin/users?team={team.id}").get_data(as_text=True)
    assert "2031" in page
    assert admin_client.get("/admin/users?role=pharaoh&page=99").status_code == 200


# --- teams ------------------------------------------------------------------------------------

def test_the_teams_list_counts_members(admin_client, session, team, worker) -> None:  # type: ignore[no-untyped-def]
    make_user(session, Role.TEAM_MANAGER, team)
    gone = make_user(session, Role.SOCIAL_WORKER, team)
    gone.is_active = False
    make_team(session, "Moorland Leaving Care Team")
    session.flush()
    page = _text(admin_client.get("/admin/teams"))
    row = re.search(r"Riverside Children in Care Team</td>(.*?)</tr>", page, re.S)
    assert row and "2 members" in row.group(1) and "(and 1 switched off)" in row.group(1)
    empty = re.search(r"Moorland Leaving Care Team</td>(.*?)</tr>", page, re.S)
    assert empty and "0 members" in empty.group(1)


def test_adding_and_renaming_a_team_is_audited(admin_client, session, admin) -> None:  # type: ignore[no-untyped-def]
    added = post(admin_client, "/admin/teams/new", {"name": "  Westbrook   Children in Need "})
    assert added.status_code == 302
    team = session.scalar(select(Team).where(Team.name == "Westbrook Children in Need"))
    assert team is not None
    renamed = post(admin_client, f"/admin/teams/{team.id}/rename",
                   {"name": "Westbrook Children in Need Team"})
    assert renamed.status_code == 302 and team.name == "Westbrook Children in Need Team"
    # A team is not its own duplicate: correcting capitals is a rename like any other.
    recapitalised = post(admin_client, f"/admin/teams/{team.id}/rename",
                         {"name": "Westbrook Children In Need Team"})
    assert recapitalised.status_code == 302 and team.name == "Westbrook Children In Need Team"
    [created] = _events(session, "admin.team_created")
    renaming, _recapitalising = _events(session, "admin.team_renamed")
    assert (created.actor_id, created.subject_type, created.subject_id) == (admin.id, "team",
                                                                            team.id)
    assert renaming.detail == {"from": "Westbrook Children in Need",
                               "to": "Westbrook Children in Need Team"}


def test_renaming_a_team_to_another_teams_name_is_refused(admin_client, session, team) -> None:  # type: ignore[no-untyped-def]
    other = make_team(session, "Hillside Children in Care Team")
    response = post(admin_client, f"/admin/teams/{other.id}/rename",
                    {"name": "riverside children in care team"})
    assert response.status_code == 400
    assert "There is already a team called riverside children in care team" in _text(response)
    assert other.name == "Hillside Children in Care Team"
    assert _events(session, "admin.team_renamed") == []


def test_adding_a_team_with_a_name_in_use_is_refused(admin_client, session, team) -> None:  # type: ignore[no-untyped-def]
    response = post(admin_client, "/admin/teams/new", {"name": team.name})
    assert response.status_code == 400
    assert "There is already a team called" in _text(response)
    assert session.scalar(select(func.count()).select_from(Team)
                          .where(Team.name == team.name)) == 1
