"""Alert emails: queued with the alert, sent through a real SMTP server, never lost, never
sent twice, and telling nobody outside the service who the child is or what they said.

Every test runs on SQLite and PostgreSQL. The mail server is aiosmtpd on the loopback
interface (tests/mailserver.py); "the mail server is down" is a port nobody listens on.
SMTP settings are set on the shared app with ``monkeypatch.setitem(app.config, ...)``:
the code reads them from ``app.config`` at the moment it queues or sends, so this is the
same path production takes, and monkeypatch puts the settings back after each test.
Tests that need their own app (two senders in two threads) build a ``Config`` with the
SMTP fields set through ``dataclasses.replace``, the way ``Config.from_env`` would.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_child, make_team, make_user
from tests.mailserver import free_port, mail_server
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import Alert, Child, OutboxMessage, Role, User, utcnow
from viewpoint.operations.alerts import (
    is_overdue,
    notify_overdue,
    overdue_alerts_query,
    raise_talk_to_someone,
)
from viewpoint.operations.invitations import issue_invitation
from viewpoint.outbox import (
    LEASE,
    MAX_BACKOFF,
    Delivery,
    MailNotConfigured,
    backoff,
    deliver,
    queue,
    status,
)
from viewpoint.outbox import _claim as claim_like_a_sender

PUBLIC_URL = "https://viewpoint.example.gov.uk"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture()
def smtp(app, monkeypatch):  # type: ignore[no-untyped-def]
    """A running mail server, and the app configured to use it."""
    with mail_server() as server:
        monkeypatch.setitem(app.config, "SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "MAIL_FROM", "viewpoint@council.example")
        monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)
        yield server


def _team_with_child(session):  # type: ignore[no-untyped-def]
    """A child with a social worker, in a team with one manager."""
    team = make_team(session)
    worker = make_user(session, Role.SOCIAL_WORKER, team, name="Sam Cobblestone")
    manager = make_user(session, Role.TEAM_MANAGER, team, name="Robin Hartwell")
    child = make_child(session, team=team, worker=worker, first_name="Wren")
    return child, worker, manager


def _outbox(session, **where: object) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).filter_by(**where)
                                .order_by(OutboxMessage.id)))


def _token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _child_answers(client, app, session, child: Child, question: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """The child enters their code, starts, and saves one answer, as the tablet does."""
    issued = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child,
                              offered_languages=("en",))
    session.commit()
    page = client.get("/").get_data(as_text=True)
    client.post("/", data={"code": issued.code, "csrf_token": _token(page)})
    welcome = client.get("/welcome").get_data(as_text=True)
    path = client.post("/start", data={"csrf_token": _token(welcome)}).headers["Location"]
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    saved = client.post("/answers", json={"token": token, "question": question, "value": value,
                                          "save_id": "first"},
                        headers={"X-CSRFToken": _token(html)})
    assert saved.status_code == 200, saved.get_data(as_text=True)


# --- a new alert ---

def test_a_worrying_answer_emails_the_worker_and_the_manager_without_naming_the_child(
        app, client, session, smtp) -> None:  # type: ignore[no-untyped-def]
    child = make_child(session, age=6, first_name="Wren")
    worker = child.social_worker
    manager = session.scalar(select(User).where(User.team_id == child.team_id,
                                                User.role == Role.TEAM_MANAGER))
    _child_answers(client, app, session, child, "safe_home", "sad")
    alert = session.scalar(select(Alert).where(Alert.child_id == child.id))
    assert alert is not None

    queued = _outbox(session)
    assert sorted(m.to_address for m in queued) == sorted([worker.email, manager.email])
    assert all(m.alert_id == alert.id and m.sent_at is None for m in queued)

    delivery = deliver()
    assert delivery == Delivery(sent=2, failed=0)
    received = smtp.mailbox.messages()
    assert sorted(r.rcpt_tos[0] for r in received) == sorted([worker.email, manager.email])
    for mail in received:
        text = mail.text
        assert mail.mail_from == "viewpoint@council.example"
        assert child.reference in text
        assert f"{PUBLIC_URL}/casework/alerts/{alert.id}" in text
        assert "needs attention today" in mail.message["Subject"]
        assert "An answer the child gave" in text
        # Email leaves the service: no name, no answer, no question, no rule summary.
        for private in (child.first_name, child.last_name, "sad", "safe_home", alert.summary):
            assert private not in text, private
    to_worker = next(r for r in received if r.rcpt_tos == [worker.email])
    assert "on your caseload" in to_worker.message["Subject"]
    assert all(m.sent_at is not None for m in _outbox(session))


def test_talk_to_someone_emails_say_so_and_without_public_url_say_where_to_look(
        app, session, smtp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    child, _worker, _manager = _team_with_child(session)
    alert = raise_talk_to_someone(session, child, None)
    raise_talk_to_someone(session, child, None)  # pressed again: same alert, no more emails
    assert len(_outbox(session)) == 2
    deliver()
    for mail in smtp.mailbox.messages():
        assert "talk to someone" in mail.text
        assert f"Sign in to viewpoint and open Alerts (alert number {alert.id})" in mail.text
        assert "http" not in mail.message.get_content()


def test_a_manager_is_warned_when_the_child_has_no_worker(session, smtp) -> None:  # type: ignore[no-untyped-def]
    child, worker, manager = _team_with_child(session)
    worker.is_active = False  # the worker has left
    other_team_manager = make_user(session, Role.TEAM_MANAGER, make_team(session))
    raise_talk_to_someone(session, child, None)
    queued = _outbox(session)
    assert [m.to_address for m in queued] == [manager.email]
    assert other_team_manager.email not in {m.to_address for m in queued}
    assert "no allocated social worker" in queued[0].body


def test_an_address_no_email_can_go_to_never_stops_the_alert(session, smtp) -> None:  # type: ignore[no-untyped-def]
    child, worker, manager = _team_with_child(session)
    manager.email = "robin.hartwell@example.test\nBcc: someone@example.test"
    alert = raise_talk_to_someone(session, child, None)
    assert alert.id is not None
    assert [m.to_address for m in _outbox(session)] == [worker.email]


def test_no_emails_are_queued_when_smtp_host_is_not_set(app, session) -> None:  # type: ignore[no-untyped-def]
    assert not app.config.get("SMTP_HOST")
    child, _worker, _manager = _team_with_child(session)
    alert = raise_talk_to_someone(session, child, None)
    assert alert.id is not None
    assert _outbox(session) == []
    assert notify_overdue(session, alert.acknowledge_by + timedelta(days=3)) == 0
    with pytest.raises(MailNotConfigured):
        deliver()


# --- the mail server being down ---

def test_a_mail_server_that_is_down_loses_nothing_and_each_email_goes_once_later(
        app, session, smtp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    child, _worker, _manager = _team_with_child(session)
    raise_talk_to_someone(session, child, None)
    session.commit()
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listening
    start = utcnow()

    first = deliver(now=start)
    assert (first.sent, first.failed) == (0, 2) and first.stopped_by
    waiting = _outbox(session)
    assert len(waiting) == 2
    for message in waiting:
        assert message.sent_at is None and message.attempts == 1
        assert "refused" in message.last_error.lower()
        assert message.next_attempt_at == start + timedelta(minutes=1)
    assert status(session).pending == 2 and status(session).failing == 2

    assert deliver(now=start + timedelta(seconds=30)) == Delivery()  # backing off
    second = deliver(now=start + timedelta(minutes=1))
    assert second.failed == 2
    assert {m.attempts for m in _outbox(session)} == {2}
    assert {m.next_attempt_at for m in _outbox(session)} == {start + timedelta(minutes=3)}

    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)  # the server is back
    assert deliver(now=start + timedelta(minutes=2)) == Delivery()  # still backing off
    assert deliver(now=start + timedelta(minutes=3)) == Delivery(sent=2)
    assert deliver(now=start + timedelta(hours=5)) == Delivery()  # nothing goes twice
    assert len(smtp.mailbox.messages()) == 2
    sent = _outbox(session)
    assert all(m.sent_at == start + timedelta(minutes=3) and m.attempts == 3 for m in sent)
    counts = status(session)
    assert (counts.pending, counts.failing, counts.sent) == (0, 0, 2)


def test_a_refused_address_stays_queued_and_does_not_hold_up_the_others(
        app, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with mail_server(refuse={"typo@example.test"}) as server:
        monkeypatch.setitem(app.config, "SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
        queue(session, "typo@example.test", "viewpoint: one", "first")
        queue(session, "someone@example.test", "viewpoint: two", "second")
        session.commit()
        delivery = deliver()
        assert (delivery.sent, delivery.failed, delivery.stopped_by) == (1, 1, None)
        assert [r.rcpt_tos for r in server.mailbox.messages()] == [["someone@example.test"]]
    refused = _outbox(session, to_address="typo@example.test")[0]
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    counts = status(session)
    assert (counts.pending, counts.failing, counts.sent) == (1, 1, 1)
    assert counts.last_error == refused.last_error
    assert counts.oldest_pending_at == refused.created_at


def test_waits_between_attempts_double_up_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == backoff(8) == backoff(10_000) == MAX_BACKOFF == timedelta(hours=1)


def test_the_sender_signs_in_when_a_user_name_is_set_and_never_records_the_password(
        app, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with mail_server(login=("viewpoint", "s3cret-pa55")) as server:
        monkeypatch.setitem(app.config, "SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "SMTP_USERNAME", "viewpoint")
        monkeypatch.setitem(app.config, "SMTP_PASSWORD", "wrong-password")
        queue(session, "someone@example.test", "viewpoint: hello", "body")
        session.commit()
        assert deliver().failed == 1
        message = _outbox(session)[0]
        assert "535" in message.last_error and "wrong-password" not in message.last_error

        monkeypatch.setitem(app.config, "SMTP_PASSWORD", "s3cret-pa55")
        assert deliver(now=message.next_attempt_at).sent == 1
        assert server.mailbox.logins[-1] == ("viewpoint", "s3cret-pa55")
        assert len(server.mailbox.messages()) == 1


# --- overdue ---

def test_an_unacknowledged_alert_becomes_overdue_after_a_working_day_and_the_manager_is_told_once(
        app, session, smtp) -> None:  # type: ignore[no-untyped-def]
    child, worker, manager = _team_with_child(session)
    alert = raise_talk_to_someone(session, child, None)
    deliver()  # the emails about the new alert
    smtp.mailbox.received.clear()
    assert alert.acknowledge_by is not None and alert.acknowledge_by > alert.raised_at
    before, after = alert.acknowledge_by - timedelta(minutes=1), \
        alert.acknowledge_by + timedelta(minutes=1)

    assert not is_overdue(alert, before)
    assert notify_overdue(session, before) == 0
    assert is_overdue(alert, after)
    assert session.scalars(overdue_alerts_query(after)).all() == [alert]
    assert session.scalars(overdue_alerts_query(after, team_ids=[child.team_id])).all() == [alert]
    assert session.scalars(overdue_alerts_query(after, team_ids=[-1])).all() == []

    assert notify_overdue(session, after) == 1
    assert alert.overdue_notified_at == after
    assert notify_overdue(session, after + timedelta(hours=1)) == 0  # told once, not again
    session.commit()
    assert deliver().sent == 1
    [mail] = smtp.mailbox.messages()
    assert mail.rcpt_tos == [manager.email] and worker.email not in mail.rcpt_tos
    assert "has not been acknowledged" in mail.message["Subject"]
    assert child.reference in mail.text and child.first_name not in mail.text
    assert f"{PUBLIC_URL}/casework/alerts/{alert.id}" in mail.text


def test_an_acknowledged_or_closed_alert_is_never_overdue(session, smtp) -> None:  # type: ignore[no-untyped-def]
    child, worker, _manager = _team_with_child(session)
    acknowledged = raise_talk_to_someone(session, child, None)
    acknowledged.acknowledged_at = acknowledged.raised_at + timedelta(hours=1)
    acknowledged.acknowledged_by_id = worker.id
    other, _w, _m = _team_with_child(session)
    closed = raise_talk_to_someone(session, other, None)
    closed.closed_at, closed.closed_by_id = closed.raised_at, worker.id
    closed.action_taken = "Visited the same afternoon; the child is safe."
    session.flush()
    much_later = acknowledged.raised_at + timedelta(days=30)
    assert not is_overdue(acknowledged, much_later) and not is_overdue(closed, much_later)
    assert session.scalars(overdue_alerts_query(much_later)).all() == []
    assert notify_overdue(session, much_later) == 0
    assert acknowledged.overdue_notified_at is None


def test_an_overdue_alert_in_a_team_without_a_manager_waits_until_there_is_one(
        session, smtp) -> None:  # type: ignore[no-untyped-def]
    team = make_team(session)
    worker = make_user(session, Role.SOCIAL_WORKER, team)
    child = make_child(session, team=team, worker=worker)
    alert = raise_talk_to_someone(session, child, None)
    later = alert.acknowledge_by + timedelta(hours=1)
    assert notify_overdue(session, later) == 0
    assert alert.overdue_notified_at is None
    manager = make_user(session, Role.TEAM_MANAGER, team)
    assert notify_overdue(session, later) == 1
    assert _outbox(session)[-1].to_address == manager.email


# --- two senders at once ---

def test_two_senders_at_once_send_each_email_exactly_once(fresh_database, tmp_path: Path) -> None:
    migrate(fresh_database)
    with mail_server(delay=0.02) as server:
        config = replace(make_config(fresh_database, tmp_path), SMTP_HOST=server.host,
                         SMTP_PORT=server.port)
        app = create_app(config)
        try:
            with app.app_context(), db.writing() as session:
                for number in range(30):
                    queue(session, f"worker{number}@example.test", f"viewpoint: {number}",
                          f"message {number}")
            start = threading.Barrier(2)
            results: list[Delivery] = []
            errors: list[BaseException] = []

            def sender() -> None:
                try:
                    with app.app_context():
                        start.wait(timeout=10)
                        results.append(deliver())
                except BaseException as exc:  # noqa: BLE001 - reported by the test below
                    errors.append(exc)

            threads = [threading.Thread(target=sender) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors
            received = sorted(r.rcpt_tos[0] for r in server.mailbox.messages())
            assert received == sorted(f"worker{n}@example.test" for n in range(30))
            assert sum(r.sent for r in results) == 30 and all(r.sent for r in results), results
            with app.app_context():
                unsent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.sent_at.is_(None)))
                assert unsent == 0
        finally:
            app.extensions["viewpoint.engine"].dispose()


def test_a_message_claimed_by_a_sender_that_died_goes_after_its_lease(
        app, session, smtp) -> None:  # type: ignore[no-untyped-def]
    queue(session, "someone@example.test", "viewpoint: hello", "body")
    session.commit()
    now = utcnow()
    assert claim_like_a_sender(now) is not None  # a sender took it, then died before sending
    assert deliver(now=now + LEASE - timedelta(seconds=1)) == Delivery()  # not yet
    assert deliver(now=now + LEASE) == Delivery(sent=1)
    assert len(smtp.mailbox.messages()) == 1
