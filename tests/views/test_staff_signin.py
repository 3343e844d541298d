"""Staff sign-in: passwords, sessions that end on the server, throttling without lockout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import make_team, make_user
from tests.staff import PASSWORD, give_password, open_sessions, post, sign_in, token_from
from viewpoint.auth.passwords import password_problems
from viewpoint.models import AuditEvent, Role, StaffSession, utcnow


@pytest.fixture()
def worker(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.SOCIAL_WORKER, make_team(session))


def _signin_form(client, email: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/signin").get_data(as_text=True)
    return client.post(
        "/staff/signin", data={"email": email, "password": password, "csrf_token": token_from(page)}
    )


def _events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_signed_out_staff_pages_send_you_to_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/casework/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/signin?next=/casework/")


def test_worker_signs_in_with_email_in_any_case_and_lands_on_caseload(
    client, session, worker
) -> None:  # type: ignore[no-untyped-def]
    give_password(worker, session)
    response = _signin_form(client, "  " + worker.email.upper(), PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/casework/"
    assert client.get("/casework/").status_code == 200
    assert len(open_sessions(session, worker)) == 1
    [event] = _events(session, "signin")
    assert event.actor_id == worker.id and event.remote_addr == "127.0.0.1"


def test_wrong_password_is_refused_the_same_way_as_an_unknown_account(
    client, session, worker
) -> None:  # type: ignore[no-untyped-def]
    give_password(worker, session)
    wrong = _signin_form(client, worker.email, "not the password at all")
    unknown = _signin_form(client, "nobody@example.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "do not match an account that can sign in"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    failures = _events(session, "signin.failed")
    assert [(e.actor_id, e.detail["reason"]) for e in failures] == [
        (worker.id, "wrong_password"),
        (None, "no_account"),
    ]
    assert client.get("/casework/").status_code == 302


def test_disabled_account_cannot_sign_in(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    give_password(worker, session)
    worker.is_active = False
    session.flush()
    assert _signin_form(client, worker.email, PASSWORD).status_code == 401
    assert _events(session, "signin.failed")[0].detail == {"reason": "disabled"}


def test_failed_signins_are_throttled_per_account_not_for_everyone(app, client, session) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session)
    target, colleague = (
        make_user(session, Role.SOCIAL_WORKER, team),
        make_user(session, Role.SOCIAL_WORKER, team),
    )
    give_password(target, session)
    give_password(colleague, session)
    limit = app.config["SIGNIN_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _signin_form(client, target.email, "wrong wrong wrong").status_code == 401
    # Even the right password now waits, so guessing cannot carry on...
    refused = _signin_form(client, target.email, PASSWORD)
    assert refused.status_code == 429 and "Try again in" in refused.get_data(as_text=True)
    # ...but nobody else is locked out.
    other = app.test_client()
    assert _signin_form(other, colleague.email, PASSWORD).status_code == 302


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(
    app, client, session, worker
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/casework/").status_code == 200
    response = post(client, "/staff/signout")
    # The browser's cache goes, never its storage: a child's answers may be waiting there.
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"cache"'
    assert thief.get("/casework/").status_code == 302
    assert open_sessions(session, worker) == []
    assert len(_events(session, "signout")) == 1


def test_sign_out_needs_a_post_with_a_csrf_token(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    assert client.get("/staff/signout").status_code == 405
    assert client.post("/staff/signout").status_code == 400
    assert client.get("/casework/").status_code == 200


def test_signing_in_starts_a_new_session(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else"
    sign_in(client, worker, session)
    with client.session_transaction() as cookie:
        assert "planted" not in cookie


def test_idle_session_ends_and_says_why(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = client.get("/casework/")
    assert response.status_code == 302 and "ended=idle" in response.headers["Location"]
    ended = session.scalar(select(StaffSession).where(StaffSession.user_id == worker.id))
    assert ended.ended_reason == "idle"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out because the page was left" in page


def test_busy_session_still_ends_at_its_absolute_lifetime(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    session.execute(
        update(StaffSession).values(
            created_at=utcnow() - timedelta(hours=10), last_seen_at=utcnow()
        )
    )
    response = client.get("/casework/")
    assert "ended=expired" in response.headers["Location"]


def test_disabling_a_user_ends_their_session_at_once(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    worker.is_active = False
    session.flush()
    assert "ended=disabled" in client.get("/casework/").headers["Location"]


def test_changing_password_signs_out_other_browsers_but_not_this_one(
    app, client, session, worker
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, worker, session)
    laptop = sign_in(app.test_client(), worker, session)
    response = post(
        client,
        "/staff/password",
        {
            "current": PASSWORD,
            "new": "plum tractor whistle fjord",
            "confirm": "plum tractor whistle fjord",
        },
    )
    assert response.status_code == 302
    assert client.get("/casework/").status_code == 200
    assert "ended=password_changed" in laptop.get("/casework/").headers["Location"]
    assert len(open_sessions(session, worker)) == 1
    assert _events(session, "password.changed")


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short pass", "at least 12"),
        ("passwordpassword", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(password: str, problem: str, app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        assert any(problem in text for text in password_problems(password))


def test_no_composition_rules_long_random_words_are_fine(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        assert password_problems("plum tractor whistle fjord") == []


def test_a_password_made_from_your_own_name_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        assert password_problems("samcobblestone1", personal=("sam@x.test", "Sam Cobblestone"))


def test_temporary_password_must_be_changed_before_anything_else(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    worker.must_change_password = True
    sign_in(client, worker, session)
    assert client.get("/casework/").headers["Location"] == "/staff/password"
    post(
        client,
        "/staff/password",
        {
            "current": PASSWORD,
            "new": "plum tractor whistle fjord",
            "confirm": "plum tractor whistle fjord",
        },
    )
    assert client.get("/casework/").status_code == 200


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/%5Cevil.example",  # a browser reads the backslash as a slash: //evil.example
    "/%09/evil.example",  # and drops the tab
    "/%0A/evil.example",
])
def test_sign_in_never_redirects_off_the_site(client, session, worker, target) -> None:  # type: ignore[no-untyped-def]
    give_password(worker, session)
    page = client.get(f"/staff/signin?next={target}").get_data(as_text=True)
    response = client.post(
        f"/staff/signin?next={target}",
        data={"email": worker.email, "password": PASSWORD, "csrf_token": token_from(page)},
    )
    assert response.headers["Location"] == "/casework/"


def test_there_are_no_staff_accounts_until_someone_creates_them(fresh_database) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, func

    from tests.support import migrate
    from viewpoint.config import normalise_database_url
    from viewpoint.models import User

    migrate(fresh_database)
    engine = create_engine(normalise_database_url(fresh_database))
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(User)) == 0
    engine.dispose()
