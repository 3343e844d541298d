"""Webhooks: a receiver on 127.0.0.1 gets each event once, signed, with no name or answer in
it; with the receiver down, events wait and arrive later, once.

The receiver is a real HTTP server in a thread (``Receiver``); "down" is a port nobody
listens on. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.factories import make_child, make_team, make_user
from tests.mailserver import free_port
from tests.views.test_reading import answered
from viewpoint.models import Alert, Role, ServiceAccount, WebhookDelivery, utcnow
from viewpoint.operations.alerts import acknowledge_alert, close_alert
from viewpoint.operations.service_accounts import create_service_account, revoke_service_account
from viewpoint.operations.webhooks import (
    EVENTS,
    WebhookProblem,
    deliver,
    status,
    subscribe,
    unsubscribe,
    verify,
)


class Receiver:
    """What a connected system runs: it checks each delivery's signature and acts on each
    event id once. ``answers`` are the statuses it gives, in turn (then 204)."""

    def __init__(self, secret: str = "", answers: list[int] | None = None) -> None:
        self.secret = secret
        self.answers = list(answers or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.acted_on: list[str] = []
        #: Where a 3xx answer points.
        self.redirect_to = ""

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        self.received.append((headers, body))
        status = self.answers.pop(0) if self.answers else 204
        if status < 300 and verify(self.secret, headers, body) \
                and headers["webhook-id"] not in self.acted_on:
            self.acted_on.append(headers["webhook-id"])
        return status


@contextmanager
def listening(receiver: Receiver, port: int = 0) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = receiver.handle(headers, body)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.redirect_to)
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 (a redirect followed would arrive as a GET)
            receiver.received.append(({key.lower(): v for key, v in self.headers.items()}, b""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _council(session, teams: list | None = None):  # type: ignore[no-untyped-def,type-arg]
    team = make_team(session)
    worker = make_user(session, Role.SOCIAL_WORKER, team)
    child = make_child(session, team=team, worker=worker, first_name="Wrenna")
    account = create_service_account(session, name=f"CMS {team.id}", scopes=["alerts:read"],
                                     team_ids=[t.id for t in (teams or [])]).account
    return team, worker, child, account


def _events(receiver: Receiver) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(body) for _headers, body in receiver.received]


def test_each_event_reaches_the_receiver_once_signed_with_no_name_or_answer(app, session) -> None:  # type: ignore[no-untyped-def]
    team, worker, child, account = _council(session)
    receiver = Receiver()
    with listening(receiver) as url:
        made = subscribe(session, account, url=url, events=list(EVENTS))
        receiver.secret = made.secret
        response = answered(session, app, child, {
            "hurting_me": "yes", "stay_change": "Gran's house on Elm Street"})
        alert = session.scalar(select(Alert).where(Alert.response_id == response.id))
        acknowledge_alert(alert, worker)
        close_alert(alert, worker, "Visited the same day")
        session.flush()
        first = deliver()
        again = deliver()
    events = _events(receiver)
    assert [event["type"] for event in events] == [
        "alert.raised", "response.submitted", "alert.acknowledged", "alert.closed"]
    assert first.delivered == 4 and first.failed == 0
    assert again.delivered == 0  # nothing is sent twice
    assert receiver.acted_on == [event["id"] for event in events]  # every signature checked
    assert len({event["id"] for event in events}) == 4
    for headers, body in receiver.received:
        text = body.decode()
        for secret in ("Wrenna", "Alder", "Elm Street", "Gran", "do not feel safe",
                       alert.summary):
            assert secret not in text
        assert json.loads(text)["data"]["child_reference"] == child.reference
        assert headers["webhook-signature"].startswith("v1,")
    submitted = events[1]
    assert submitted["data"]["response_id"] == response.id
    assert submitted["data"]["links"]["response"] == f"/api/v1/responses/{response.id}"
    # A delivery with a wrong signature, or an old one replayed, is not acted on.
    headers, body = receiver.received[0]
    assert not verify(made.secret, headers, body + b" ")
    assert not verify(made.secret, headers, body, now=utcnow() + timedelta(minutes=10))


def test_with_the_receiver_down_events_wait_and_arrive_later_once(app, session) -> None:  # type: ignore[no-untyped-def]
    team, worker, child, account = _council(session)
    port = free_port()
    made = subscribe(session, account, url=f"http://127.0.0.1:{port}/events",
                     events=["response.submitted", "alert.raised"])
    answered(session, app, child, {"hurting_me": "yes"})
    session.flush()
    start = utcnow()
    down = deliver(now=lambda: start)
    assert down.delivered == 0 and down.failed == 2
    waiting = status(session)
    assert (waiting.waiting, waiting.failing, waiting.delivered) == (2, 2, 0)
    errors = list(session.scalars(select(WebhookDelivery.last_error)))
    assert all(errors)
    assert deliver(now=lambda: start + timedelta(seconds=30)).failed == 0  # backing off
    receiver = Receiver(made.secret)
    with listening(receiver, port):
        back = deliver(now=lambda: start + timedelta(minutes=1, seconds=1))
        later = deliver(now=lambda: start + timedelta(hours=3))
    assert back.delivered == 2 and later.delivered == 0
    assert [event["type"] for event in _events(receiver)] == ["alert.raised",
                                                              "response.submitted"]
    assert len(receiver.acted_on) == 2
    assert status(session).waiting == 0


def test_a_receiver_that_failed_gets_the_same_event_id_and_acts_on_it_once(app, session) -> None:  # type: ignore[no-untyped-def]
    team, worker, child, account = _council(session)
    receiver = Receiver(answers=[500, 204])
    with listening(receiver) as url:
        receiver.secret = subscribe(session, account, url=url,
                                    events=["response.submitted"]).secret
        answered(session, app, child, {"safe_home": "happy"})
        session.flush()
        start = utcnow()
        deliver(now=lambda: start)
        deliver(now=lambda: start + timedelta(minutes=2))
        # The sender died after the receiver's answer and before marking it delivered: the
        # lease runs out and the same delivery goes again.
        delivery = session.scalar(select(WebhookDelivery))
        session.refresh(delivery)
        delivery.delivered_at = None
        delivery.next_attempt_at = start
        session.flush()
        deliver(now=lambda: start + timedelta(minutes=3))
    ids = [headers["webhook-id"] for headers, _body in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert receiver.acted_on == ids[:1]


def test_a_system_limited_to_a_team_hears_nothing_of_another_teams_children(app, session) -> None:  # type: ignore[no-untyped-def]
    north = make_team(session, "North")
    _team, _worker, south_child, _ = _council(session)
    limited = create_service_account(session, name="North only", scopes=["alerts:read"],
                                     team_ids=[north.id]).account
    receiver = Receiver()
    with listening(receiver) as url:
        subscribe(session, limited, url=url, events=list(EVENTS))
        answered(session, app, south_child, {"hurting_me": "yes"})
        session.flush()
        assert deliver().delivered == 0
    assert receiver.received == []


def test_a_removed_address_or_a_withdrawn_token_is_told_nothing_new(app, session) -> None:  # type: ignore[no-untyped-def]
    team, worker, child, account = _council(session)
    other = create_service_account(session, name="Second", scopes=["alerts:read"],
                                   team_ids=[]).account
    receiver = Receiver()
    with listening(receiver) as url:
        removed = subscribe(session, account, url=url, events=list(EVENTS)).subscription
        subscribe(session, other, url=url, events=list(EVENTS))
        unsubscribe(session, removed)
        revoke_service_account(session, session.get(ServiceAccount, other.id))
        answered(session, app, child, {"hurting_me": "yes"})
        session.flush()
        assert deliver().delivered == 0
    assert receiver.received == []


@pytest.mark.parametrize("url", [
    "http://192.0.2.10/events", "ftp://127.0.0.1/events", "https://user:pw@example.org/x",
    "https://", "javascript:alert(1)", "https://example.org/" + "x" * 500, "https://exa mple.org",
])
def test_events_go_only_to_https_or_to_this_machine(session, url: str) -> None:  # type: ignore[no-untyped-def]
    _team, _worker, _child, account = _council(session)
    with pytest.raises(WebhookProblem):
        subscribe(session, account, url=url, events=["alert.raised"])
    assert subscribe(session, account, url="https://cms.council.example/hooks",
                     events=["alert.raised"]).secret.startswith("whsec_")


def test_a_receiver_that_redirects_is_not_followed(app, session) -> None:  # type: ignore[no-untyped-def]
    """The event goes only to the address an administrator checked: a redirect (to the
    server's own services, say) is a failure, tried again later at the same address."""
    team, worker, child, account = _council(session)
    elsewhere = Receiver()
    redirecting = Receiver(answers=[302])
    with listening(elsewhere) as other, listening(redirecting) as url:
        redirecting.redirect_to = other
        subscribe(session, account, url=url, events=["response.submitted"])
        answered(session, app, child, {"safe_home": "happy"})
        session.flush()
        sent = deliver()
    assert (sent.delivered, sent.failed) == (0, 1)
    assert elsewhere.received == []
    assert session.scalar(select(WebhookDelivery.last_error)) == "The receiver answered 302."


def test_in_production_plain_http_to_this_machine_is_refused(app, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _team, _worker, _child, account = _council(session)
    monkeypatch.setitem(app.config, "VIEWPOINT_ENV", "production")
    with pytest.raises(WebhookProblem, match="Events are sent only to https:// addresses.$"):
        subscribe(session, account, url="http://127.0.0.1:5432/", events=["alert.raised"])
