"""Many tablets saving at once: every save lands, none fails with "database is locked".

Unlike the other view tests, this one uses a real database of its own (no shared test
transaction), so that requests in different threads really compete for the write lock.
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import make_child
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import Alert, Answer
from viewpoint.operations.invitations import issue_invitation

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TABLETS = 6
SAVES = 15


def _sign_in(app, code: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = CSRF.search(client.get("/").get_data(as_text=True)).group(1)
    assert client.post("/", data={"code": code, "csrf_token": token}).status_code == 302
    token = CSRF.search(client.get("/welcome").get_data(as_text=True)).group(1)
    path = client.post("/start", data={"csrf_token": token}).headers["Location"]
    html = client.get(path).get_data(as_text=True)
    return client, CSRF.search(html).group(1), re.search(r'data-token="([^"]+)"', html).group(1)


def _children_with_codes(database: str, tmp_path: Path, age: int):  # type: ignore[no-untyped-def]
    """The app on a freshly migrated ``database``, and a code for each of TABLETS children."""
    migrate(database)
    app = create_app(make_config(database, tmp_path))
    codes = []
    with app.app_context():
        with db.writing() as session:
            for _ in range(TABLETS):
                child = make_child(session, age=age)
                codes.append(issue_invitation(session, app.extensions["viewpoint.questionnaires"],
                                              child, offered_languages=("en",)).code)
        db.session.remove()
    return app, codes


def test_concurrent_saves_all_land_exactly_once(fresh_database: str, tmp_path: Path) -> None:
    app, codes = _children_with_codes(fresh_database, tmp_path, age=6)
    # One tablet per code: a code typed on a second device closes it on the first
    # (tests/views/test_respond.py).
    tablets = [_sign_in(app, code) for code in codes]
    failures: list[str] = []

    def save_many(client, csrf: str, token: str) -> None:  # type: ignore[no-untyped-def]
        for number in range(SAVES):
            reply = client.post("/answers", headers={"X-CSRFToken": csrf}, json={
                "token": token, "question": "safe_home", "save_id": uuid.uuid4().hex,
                "value": ["happy", "okay", "sad"][number % 3]})
            if reply.status_code != 200:
                failures.append(f"{reply.status_code} {reply.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=save_many, args=tablet) for tablet in tablets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with app.app_context():
        answers = db.session.scalar(select(func.count()).select_from(Answer))
        alerts = db.session.scalar(select(func.count()).select_from(Alert))
    assert answers == TABLETS  # one per child and question, however many saves
    assert alerts == TABLETS  # every child said "sad" at least once: one alert each
    app.extensions["viewpoint.engine"].dispose()


def test_panel_members_opening_a_newly_due_period_at_once_publish_it_once(
        fresh_database: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The first look at a period that has just become due publishes it, in a page that had
    only been reading. Several at once, while a child saves answers: every page answers, the
    period is published once, and every page shows the same figures."""
    from datetime import date

    from tests.factories import make_user, move_into_the_past
    from tests.staff import PASSWORD, give_password
    from viewpoint.models import PublishedIndicator, Release, Role
    from viewpoint.operations.answers import record_answer, start_response, submit_response

    migrate(fresh_database)
    app = create_app(make_config(fresh_database, tmp_path))
    catalogue = app.extensions["viewpoint.questionnaires"]
    with app.app_context():
        with db.writing() as session:
            for number in range(30):
                child = make_child(session, age=9)
                response = start_response(session, catalogue, issue_invitation(
                    session, catalogue, child, offered_languages=("en",)).invitation)
                record_answer(session, catalogue, response, "safe_home",
                              "sad" if number % 4 == 0 else "happy")
                submit_response(session, response, None)
            move_into_the_past(session)
            panel = make_user(session, Role.PANEL_MEMBER)
            code = issue_invitation(session, catalogue, make_child(session, age=6),
                                    offered_languages=("en",)).code
            give_password(panel, session)
            email = panel.email
        db.session.remove()
    clients = []
    for _ in range(4):
        client = app.test_client()
        page = client.get("/staff/signin").get_data(as_text=True)
        signed = client.post("/staff/signin", data={
            "email": email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)})
        assert signed.status_code == 302
        clients.append(client)
    tablet, csrf, token = _sign_in(app, code)
    pages: list[str] = []
    failures: list[str] = []

    def look(client) -> None:  # type: ignore[no-untyped-def]
        answer = client.get("/dashboards/")
        if answer.status_code != 200:
            failures.append(f"{answer.status_code} {answer.get_data(as_text=True)[:200]}")
        else:
            text = answer.get_data(as_text=True)
            pages.append(text[text.index("<table"):text.index("</table>")])

    def save() -> None:
        for number in range(10):
            reply = tablet.post("/answers", headers={"X-CSRFToken": csrf}, json={
                "token": token, "question": "safe_home", "save_id": uuid.uuid4().hex,
                "value": ["happy", "sad"][number % 2]})
            if reply.status_code != 200:
                failures.append(f"save {reply.status_code}")

    threads = [threading.Thread(target=look, args=(client,)) for client in clients]
    threads.append(threading.Thread(target=save))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(pages) == 4 and len(set(pages)) == 1
    with app.app_context():
        releases = db.session.execute(select(Release.period_kind, Release.period_start)).all()
        assert len(releases) == len(set(releases)) >= 2  # the quarter and the year, once each
        assert db.session.scalar(select(func.count()).select_from(PublishedIndicator)) > 0
        assert all(start < date.today() for _kind, start in releases)
        db.session.remove()
    app.extensions["viewpoint.engine"].dispose()


def test_send_tapped_twice_at_once_sends_and_counts_the_answers_once(
        fresh_database: str, tmp_path: Path) -> None:
    """Two taps on Send reach the server together (the tablet sends both with the same
    cookie), for each of several children at once: each child's answers are sent and
    counted once; one tap gets the thank-you page, the other either that too or the start
    page saying the answers were sent; nothing fails."""
    from viewpoint.models import DashboardEntry, Response

    app, codes = _children_with_codes(fresh_database, tmp_path, age=9)
    cookie = app.config["SESSION_COOKIE_NAME"]
    taps = []
    for code in codes:
        client, csrf, token = _sign_in(app, code)
        assert client.post("/answers", headers={"X-CSRFToken": csrf}, json={
            "token": token, "question": "safe_home", "save_id": uuid.uuid4().hex,
            "value": "sad"}).status_code == 200
        twin = app.test_client()
        twin.set_cookie(cookie, client.get_cookie(cookie).value)
        taps += [(client, csrf), (twin, csrf)]
    barrier = threading.Barrier(len(taps))
    replies: list[tuple[int, str, str]] = []

    def tap(client, csrf: str) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        reply = client.post("/finish", data={"csrf_token": csrf, "helped_by": "nobody"})
        replies.append((reply.status_code, reply.headers.get("Location", ""),
                        reply.get_data(as_text=True)))

    threads = [threading.Thread(target=tap, args=one) for one in taps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted((status, location) for status, location, _ in replies)
    assert all(outcome in ((200, ""), (302, "/?why=sent")) for outcome in outcomes), outcomes
    thanked = [text for status, _, text in replies if status == 200]
    assert len(thanked) >= TABLETS
    # Each thank-you page tells the child their worker will hear what they said.
    assert all("Thank you! Your answers have been sent." in text for text in thanked)
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(Response)
                                 .where(Response.submitted_at.is_not(None)))
        counted = db.session.scalar(select(func.count()).select_from(DashboardEntry))
    assert (sent, counted) == (TABLETS, TABLETS)
    app.extensions["viewpoint.engine"].dispose()
