"""Events for connected systems go out with the alert emails (`viewpoint outbox send`) or on
their own (`viewpoint webhooks send`), to a receiver on 127.0.0.1, once."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_outbox_command import _app, _raise_alert
from tests.db.test_webhooks import Receiver, listening
from tests.mailserver import mail_server
from tests.support import migrate
from viewpoint.extensions import db
from viewpoint.operations.service_accounts import create_service_account
from viewpoint.operations.webhooks import subscribe


def _subscribed(app, url: str) -> str:  # type: ignore[no-untyped-def]
    with app.app_context(), db.writing() as session:
        account = create_service_account(session, name="CMS", scopes=["alerts:read"],
                                         team_ids=[]).account
        return subscribe(session, account, url=url, events=["alert.raised"]).secret


def test_the_email_sender_delivers_events_too_and_status_counts_them(  # type: ignore[no-untyped-def]
        fresh_database, tmp_path: Path) -> None:
    migrate(fresh_database)
    receiver = Receiver()
    with mail_server() as server, listening(receiver) as url:
        app = _app(fresh_database, tmp_path, server)
        try:
            receiver.secret = _subscribed(app, url)
            _raise_alert(app)
            runner = app.test_cli_runner()
            waiting = runner.invoke(args=["webhooks", "status"], catch_exceptions=False)
            assert "Waiting: 1 (0 failed at least once)" in waiting.output
            sent = runner.invoke(args=["outbox", "send"], catch_exceptions=False)
            assert sent.exit_code == 0, sent.output
            assert "Events for connected systems: 1 delivered, 0 not accepted." in sent.output
            assert len(receiver.acted_on) == 1
            again = runner.invoke(args=["webhooks", "send"], catch_exceptions=False)
            assert "0 delivered, 0 failed." in again.output
            done = runner.invoke(args=["webhooks", "status"], catch_exceptions=False)
            assert "Delivered: 1" in done.output
        finally:
            app.extensions["viewpoint.engine"].dispose()


def test_without_email_the_events_are_sent_on_their_own(fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    migrate(fresh_database)
    receiver = Receiver()
    with listening(receiver) as url:
        app = _app(fresh_database, tmp_path, None)
        try:
            receiver.secret = _subscribed(app, url)
            _raise_alert(app)
            sent = app.test_cli_runner().invoke(args=["webhooks", "send"],
                                                catch_exceptions=False)
            assert "1 delivered, 0 failed." in sent.output
            assert len(receiver.acted_on) == 1
        finally:
            app.extensions["viewpoint.engine"].dispose()
