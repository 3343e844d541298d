"""One code from the app, or one recovery code, typed in several browsers at the same moment
(someone who watched it being typed, racing its owner): exactly one of them signs in.

Like tests/views/test_concurrent_saves.py this uses a database of its own, so that requests
in different threads really compete."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pyotp
from sqlalchemy import func, select

from tests.factories import make_team, make_user
from tests.staff import PASSWORD, give_password
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.auth import second_factor
from viewpoint.auth.devices import clear_account_limit
from viewpoint.extensions import db
from viewpoint.models import Role, StaffSession, utcnow

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BROWSERS = 6


def _waiting_for_code(app, email: str, number: int):  # type: ignore[no-untyped-def]
    client = app.test_client()
    address = {"REMOTE_ADDR": f"198.51.100.{number + 1}"}
    token = CSRF.search(client.get("/staff/signin", environ_base=address)
                        .get_data(as_text=True)).group(1)
    sent = client.post("/staff/signin", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token}, environ_base=address)
    assert sent.headers["Location"] == "/staff/signin/code"
    token = CSRF.search(client.get("/staff/signin/code", environ_base=address)
                        .get_data(as_text=True)).group(1)
    return client, token, address


def _race(app, email: str, code: str) -> list[int]:  # type: ignore[no-untyped-def]
    browsers = [_waiting_for_code(app, email, n) for n in range(BROWSERS)]
    start = threading.Barrier(BROWSERS)
    answers: list[int] = []

    def type_code(client, token: str, address: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        answers.append(client.post("/staff/signin/code", data={
            "code": code, "csrf_token": token}, environ_base=address).status_code)

    threads = [threading.Thread(target=type_code, args=b) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(answers)


def test_a_code_typed_in_several_browsers_at_once_signs_in_one(
        fresh_database: str, tmp_path: Path) -> None:
    migrate(fresh_database)
    app = create_app(make_config(fresh_database, tmp_path))
    with app.app_context():
        with db.writing() as session:
            worker = make_user(session, Role.SOCIAL_WORKER, make_team(session))
            give_password(worker, session)
            secret = second_factor.new_secret()
            recovery = second_factor.enrol(session, worker, secret, pyotp.TOTP(secret).now())
            assert recovery is not None
            totp = pyotp.TOTP(secret)
            worker.totp_last_step = totp.timecode(utcnow()) - 2
            email, worker_id = worker.email, worker.id
        db.session.remove()
    try:
        # (Outside the app context: each request gets its own, as in production.)
        assert _race(app, email, totp.now()) == [302] + [401] * (BROWSERS - 1)
        # The losers' codes counted as wrong ones, using up the allowance of browsers that
        # have never signed in: as if the window had passed, before the second race.
        with app.app_context(), db.writing() as session:
            clear_account_limit(session, email)
        assert _race(app, email, recovery[0]) == [302] + [401] * (BROWSERS - 1)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(StaffSession).where(
                StaffSession.user_id == worker_id)) == 2
            db.session.remove()
    finally:
        app.extensions["viewpoint.engine"].dispose()
