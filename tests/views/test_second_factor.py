"""Staff's second factor: a code from an authenticator app (or a recovery code) after the
password, set up on the pages, required by a setting, reset by an administrator; tried as
someone who has the password but not the phone would try it."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from tests.factories import make_team, make_user
from tests.staff import PASSWORD, give_password, open_sessions, post, sign_in, token_from
from viewpoint.auth import second_factor
from viewpoint.extensions import db
from viewpoint.models import AuditEvent, RecoveryCode, Role, User, utcnow

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture()
def worker(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.SOCIAL_WORKER, make_team(session))


@pytest.fixture()
def admin(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.ADMINISTRATOR)


@pytest.fixture()
def required(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SECOND_FACTOR_REQUIRED", True)


def _events(session, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _code(user: User, step: int | None = None) -> str:
    totp = pyotp.TOTP(user.totp_secret or "")
    return totp.generate_otp(totp.timecode(utcnow()) if step is None else step)


def _a_minute_later(session, user: User) -> None:  # type: ignore[no-untyped-def]
    """As if the last code accepted were a minute old, so that the code shown now is new."""
    user.totp_last_step = pyotp.TOTP(user.totp_secret or "").timecode(utcnow()) - 2
    session.flush()


def _with_app(session, user: User) -> list[str]:  # type: ignore[no-untyped-def]
    """Set ``user`` up with an authenticator app, as the set-up page does; their recovery
    codes."""
    secret = second_factor.new_secret()
    codes = second_factor.enrol(session, user, secret, pyotp.TOTP(secret).now())
    assert codes is not None
    _a_minute_later(session, user)
    return codes


def _password(client, user: User, environ=None):  # type: ignore[no-untyped-def]
    give_password(user, db.session())
    page = client.get("/staff/signin", environ_base=environ or {}).get_data(as_text=True)
    return client.post("/staff/signin", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token_from(page)},
        environ_base=environ or {})


def _typed(client, code: str, environ=None):  # type: ignore[no-untyped-def]
    page = client.get("/staff/signin/code", environ_base=environ or {})
    assert page.status_code == 200, page.headers.get("Location")
    return client.post("/staff/signin/code", data={
        "code": code, "csrf_token": token_from(page.get_data(as_text=True))},
        environ_base=environ or {})


# --- signing in ------------------------------------------------------------------------------

def test_the_password_alone_opens_nothing_when_the_person_has_an_app(  # type: ignore[no-untyped-def]
        client, session, worker) -> None:
    _with_app(session, worker)
    asked = _password(client, worker)
    assert asked.status_code == 302 and asked.headers["Location"] == "/staff/signin/code"
    assert open_sessions(session, worker) == []
    # Half signed in is not signed in: every staff page still sends the browser to sign in.
    refused = client.get("/casework/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/staff/signin")
    done = _typed(client, _code(worker))
    assert done.status_code == 302 and done.headers["Location"] == "/casework/"
    assert client.get("/casework/").status_code == 200
    assert len(open_sessions(session, worker)) == 1
    [event] = _events(session, "signin")
    assert event.detail == {"second_factor": "app"}


def test_a_code_signs_in_once_however_quickly_it_is_typed_again(  # type: ignore[no-untyped-def]
        app, client, session, worker) -> None:
    _with_app(session, worker)
    code = _code(worker)
    _password(client, worker)
    assert _typed(client, code).status_code == 302
    # Someone who read it over the person's shoulder, within the same 30 seconds.
    other = app.test_client()
    _password(other, worker, ELSEWHERE)
    replayed = _typed(other, code, ELSEWHERE)
    assert replayed.status_code == 401
    assert "has been used already" in replayed.get_data(as_text=True)
    assert len(open_sessions(session, worker)) == 1


def test_a_wrong_or_old_code_is_refused_and_counted(  # type: ignore[no-untyped-def]
        client, session, worker) -> None:
    _with_app(session, worker)
    totp = pyotp.TOTP(worker.totp_secret or "")
    _password(client, worker)
    two_minutes_old = totp.generate_otp(totp.timecode(utcnow()) - 4)
    for wrong in ("000000" if _code(worker) != "000000" else "111111", two_minutes_old,
                  "12345", "abcdef", "1234567"):
        refused = _typed(client, wrong)
        assert refused.status_code == 401, wrong
    assert [e.detail["reason"] for e in _events(session, "signin.failed")] == ["wrong_code"] * 5
    assert open_sessions(session, worker) == []


def test_someone_with_the_password_cannot_guess_codes_or_lock_the_person_out(  # type: ignore[no-untyped-def]
        app, session, worker) -> None:
    """A stranger who has the password guesses codes from their own browser: after the
    untrusted allowance every try waits, the right code included; the person's own browser,
    which has signed in before, still signs in."""
    _with_app(session, worker)
    own = app.test_client()
    _password(own, worker)
    assert _typed(own, _code(worker)).status_code == 302
    own.post("/staff/signout", data={"csrf_token": token_from(own.get("/casework/").get_data(
        as_text=True))})
    _a_minute_later(session, worker)

    stranger = app.test_client()
    _password(stranger, worker, ELSEWHERE)
    wrong = "000000" if _code(worker) != "000000" else "111111"
    answers = [_typed(stranger, wrong, ELSEWHERE).status_code
               for _ in range(app.config["SIGNIN_FAILURES_PER_ACCOUNT"] + 2)]
    assert answers[:app.config["SIGNIN_FAILURES_PER_ACCOUNT"]] == [401] * 5
    assert answers[-2:] == [429, 429]
    right_but_waiting = _typed(stranger, _code(worker), ELSEWHERE)
    assert right_but_waiting.status_code == 429
    assert open_sessions(session, worker) == []

    assert _password(own, worker).status_code == 302
    assert _typed(own, _code(worker)).status_code == 302
    assert len(open_sessions(session, worker)) == 1


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(  # type: ignore[no-untyped-def]
        app, client, session, worker) -> None:
    codes = _with_app(session, worker)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code) for code in codes)
    # Only hashes are kept.
    stored = session.scalars(select(RecoveryCode.code_hash)
                             .where(RecoveryCode.user_id == worker.id)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    _password(client, worker)
    typed = " " + codes[3].upper().replace("-", " ") + " "  # as copied from paper
    done = _typed(client, typed)
    assert done.status_code == 302
    assert "You have 9 left" in client.get("/casework/").get_data(as_text=True)
    assert _events(session, "signin")[0].detail == {"second_factor": "recovery_code"}
    again = app.test_client()
    _password(again, worker, ELSEWHERE)
    assert _typed(again, codes[3], ELSEWHERE).status_code == 401
    assert second_factor.recovery_codes_left(session, worker) == 9


def test_the_wait_for_a_code_ends_after_five_minutes(client, session, worker) -> None:  # type: ignore[no-untyped-def]
    _with_app(session, worker)
    _password(client, worker)
    with client.session_transaction() as cookie:
        cookie["second_factor_for"] = {**cookie["second_factor_for"],
                                       "at": cookie["second_factor_for"]["at"] - 301}
    late = client.get("/staff/signin/code")
    assert late.status_code == 302
    assert late.headers["Location"] == "/staff/signin?ended=code_timeout"
    assert "was not typed in time" in client.get(late.headers["Location"]).get_data(as_text=True)


def test_the_code_page_goes_on_to_the_page_asked_for_and_never_off_the_site(  # type: ignore[no-untyped-def]
        client, session, worker) -> None:
    _with_app(session, worker)
    page = client.get("/staff/signin?next=/casework/alerts").get_data(as_text=True)
    client.post("/staff/signin?next=/casework/alerts", data={
        "email": worker.email, "password": give_password(worker, session),
        "csrf_token": token_from(page)})
    assert _typed(client, _code(worker)).headers["Location"] == "/casework/alerts"
    other = client.application.test_client()
    page = other.get("/staff/signin?next=/%5Cevil.example").get_data(as_text=True)
    other.post("/staff/signin?next=/%5Cevil.example", data={
        "email": worker.email, "password": PASSWORD, "csrf_token": token_from(page)})
    _a_minute_later(session, worker)
    assert _typed(other, _code(worker)).headers["Location"] == "/casework/"


# --- setting it up ---------------------------------------------------------------------------

def _secret_on(page: str) -> str:
    match = re.search(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "no key to type on the set-up page"
    return match.group(1).replace(" ", "")


def test_when_required_nothing_opens_until_an_app_is_set_up(  # type: ignore[no-untyped-def]
        app, client, session, worker, required) -> None:
    elsewhere = sign_in(app.test_client(), worker, session)  # signed in before it was required
    sign_in(client, worker, session)
    for page in ("/casework/", "/casework/alerts", "/staff/password", "/dashboards/"):
        sent = client.get(page)
        assert sent.status_code == 302 and sent.headers["Location"] == "/staff/second-factor", page
    assert client.get("/casework/", headers={"Accept": "application/json"}).status_code == 403

    setup = client.get("/staff/second-factor")
    assert setup.status_code == 200
    text = setup.get_data(as_text=True)
    assert "<svg" in text and "you see children's words" in text.lower()
    secret = _secret_on(text)
    # The same key on a reload: the app the person has just scanned keeps working.
    assert _secret_on(client.get("/staff/second-factor").get_data(as_text=True)) == secret

    token = token_from(text)
    wrong = post(client, "/staff/second-factor", {"code": "000000" if pyotp.TOTP(
        secret).now() != "000000" else "111111", "csrf_token": token})
    assert wrong.status_code == 400 and "not the one your app shows" in wrong.get_data(
        as_text=True)
    session.refresh(worker)
    assert not worker.has_second_factor

    done = post(client, "/staff/second-factor", {"code": pyotp.TOTP(secret).now(),
                                                 "csrf_token": token})
    assert done.status_code == 200
    shown = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", done.get_data(as_text=True))
    assert len(shown) == 10
    session.refresh(worker)
    assert worker.has_second_factor and worker.totp_secret == secret
    assert client.get("/casework/").status_code == 200
    # The browser signed in before the app was set up is signed out.
    assert elsewhere.get("/casework/").status_code == 302
    assert len(open_sessions(session, worker)) == 1
    assert len(_events(session, "second_factor.set_up")) == 1


def test_new_recovery_codes_need_a_code_from_the_app_and_replace_the_old(  # type: ignore[no-untyped-def]
        client, session, worker) -> None:
    old = _with_app(session, worker)
    _password(client, worker)
    _typed(client, _code(worker))
    _a_minute_later(session, worker)
    page = client.get("/staff/second-factor").get_data(as_text=True)
    assert "10 left" in page
    refused = post(client, "/staff/second-factor", {"code": old[0]})
    assert refused.status_code == 400
    made = post(client, "/staff/second-factor", {"code": _code(worker)})
    assert made.status_code == 200
    new = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert not second_factor.use_recovery_code(session, worker, old[1])
    assert second_factor.use_recovery_code(session, worker, new[1])


# --- an administrator resets it ---------------------------------------------------------------

def test_an_administrator_resets_a_lost_phone_and_it_is_audited(  # type: ignore[no-untyped-def]
        app, client, session, worker, admin) -> None:
    codes = _with_app(session, worker)
    theirs = app.test_client()
    _password(theirs, worker)
    _typed(theirs, _code(worker))
    _with_app(session, admin)
    _password(client, admin)
    _typed(client, _code(admin))
    assert "Reset sign-in security" in client.get(f"/admin/users/{worker.id}").get_data(
        as_text=True)
    done = post(client, f"/admin/users/{worker.id}/second-factor")
    assert done.status_code == 302
    session.refresh(worker)
    assert not worker.has_second_factor and worker.totp_secret is None
    assert second_factor.recovery_codes_left(session, worker) == 0
    assert not second_factor.use_recovery_code(session, worker, codes[0])
    assert open_sessions(session, worker) == []
    assert theirs.get("/casework/").status_code == 302
    [event] = _events(session, "admin.second_factor_reset")
    assert event.actor_id == admin.id
    assert event.detail == {"sessions_ended": 1, "had_second_factor": True}
    # Their password alone signs them in again (and, where required, to set up a new app).
    assert _password(app.test_client(), worker).headers["Location"] == "/casework/"


def test_administrators_cannot_reset_their_own_on_the_pages(  # type: ignore[no-untyped-def]
        client, session, admin) -> None:
    _with_app(session, admin)
    _password(client, admin)
    _typed(client, _code(admin))
    refused = post(client, f"/admin/users/{admin.id}/second-factor")
    assert refused.status_code == 400
    assert "Another administrator must reset" in refused.get_data(as_text=True)
    session.refresh(admin)
    assert admin.has_second_factor


def test_other_roles_cannot_reset_anyone(client, session, worker, admin) -> None:  # type: ignore[no-untyped-def]
    _with_app(session, admin)
    sign_in(client, worker, session)
    assert post(client, f"/admin/users/{admin.id}/second-factor").status_code == 403
    session.refresh(admin)
    assert admin.has_second_factor


def test_codes_cannot_be_guessed_on_the_page_that_makes_new_recovery_codes(  # type: ignore[no-untyped-def]
        app, client, session, worker) -> None:
    """Someone who finds a signed-in browser tries codes to get recovery codes of their own:
    after the allowance, even the right code waits."""
    _with_app(session, worker)
    _password(client, worker)
    _typed(client, _code(worker))
    _a_minute_later(session, worker)
    wrong = "000000" if _code(worker) != "000000" else "111111"
    tries = [post(client, "/staff/second-factor", {"code": wrong}).status_code
             for _ in range(app.config["SIGNIN_FAILURES_PER_DEVICE"] + 1)]
    assert tries == [400] * app.config["SIGNIN_FAILURES_PER_DEVICE"] + [429]
    right = post(client, "/staff/second-factor", {"code": _code(worker)})
    assert right.status_code == 429 and "Too many wrong codes" in right.get_data(as_text=True)
    assert second_factor.recovery_codes_left(session, worker) == 10
    assert len(_events(session, "second_factor.wrong_code")) == 5
