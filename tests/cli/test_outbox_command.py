"""`viewpoint outbox send` and `viewpoint outbox status`, on either database, against a real
SMTP server (tests/mailserver.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import make_child
from tests.mailserver import MailServer, mail_server
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import utcnow
from viewpoint.operations.alerts import raise_talk_to_someone


def _app(url: str, instance: Path, server: MailServer | None):  # type: ignore[no-untyped-def]
    config = make_config(url, instance)
    if server is not None:
        config = replace(config, SMTP_HOST=server.host, SMTP_PORT=server.port,
                         SMTP_PASSWORD="never-printed")
    return create_app(config)


def _raise_alert(app, *, overdue: bool = False) -> str:  # type: ignore[no-untyped-def]
    """An alert about a new child (worker and manager emailed); returns the child's reference."""
    with app.app_context(), db.writing() as session:
        child = make_child(session)
        alert = raise_talk_to_someone(session, child, None)
        if overdue:
            alert.acknowledge_by = utcnow() - timedelta(hours=1)
        return child.reference


def test_send_reports_overdue_alerts_then_sends_and_status_counts(fresh_database,
                                                                  tmp_path: Path) -> None:
    migrate(fresh_database)
    with mail_server() as server:
        app = _app(fresh_database, tmp_path, server)
        try:
            _raise_alert(app, overdue=True)
            runner = app.test_cli_runner()
            before = runner.invoke(args=["outbox", "status"], catch_exceptions=False)
            assert before.exit_code == 0, before.output
            assert "Waiting: 2 (0 failed at least once)" in before.output
            assert "Sent: 0" in before.output

            sent = runner.invoke(args=["outbox", "send"], catch_exceptions=False)
            assert sent.exit_code == 0, sent.output
            assert "3 sent, 0 failed, 1 overdue alert(s) reported." in sent.output
            assert len(server.mailbox.messages()) == 3

            after = runner.invoke(args=["outbox", "status"], catch_exceptions=False)
            assert "Waiting: 0 (0 failed at least once)" in after.output
            assert "Sent: 3" in after.output
            again = runner.invoke(args=["outbox", "send"], catch_exceptions=False)
            assert "0 sent, 0 failed, 0 overdue alert(s) reported." in again.output
            assert len(server.mailbox.messages()) == 3
        finally:
            app.extensions["viewpoint.engine"].dispose()


def test_send_says_why_when_the_mail_server_is_down_and_prints_no_password(
        fresh_database, tmp_path: Path) -> None:
    migrate(fresh_database)
    with mail_server() as server:
        pass  # started and stopped: its port is now closed
    app = _app(fresh_database, tmp_path, server)
    try:
        _raise_alert(app)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["outbox", "send"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "0 sent, 2 failed" in result.output and "refused" in result.output.lower()
        status = runner.invoke(args=["outbox", "status"], catch_exceptions=False)
        assert "Waiting: 2 (2 failed at least once)" in status.output
        assert "Last error: ConnectionRefusedError" in status.output
        assert "never-printed" not in result.output + status.output
    finally:
        app.extensions["viewpoint.engine"].dispose()


def test_send_refuses_when_no_mail_server_is_set(fresh_database, tmp_path: Path) -> None:
    migrate(fresh_database)
    app = _app(fresh_database, tmp_path, None)
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 1
        assert "SMTP_HOST is not set" in result.output
    finally:
        app.extensions["viewpoint.engine"].dispose()


@pytest.mark.slow
def test_send_watch_keeps_sending_until_ctrl_c(fresh_database, tmp_path: Path) -> None:
    migrate(fresh_database)
    with mail_server() as server:
        env = {**os.environ, "DATABASE_URL": fresh_database, "SECRET_KEY": "w" * 48,
               "INSTANCE_PATH": str(tmp_path), "VIEWPOINT_ENV": "development",
               "SMTP_HOST": server.host, "SMTP_PORT": str(server.port)}
        viewpoint = Path(sys.executable).parent / "viewpoint"
        lines: list[str] = []
        with subprocess.Popen([viewpoint, "outbox", "send", "--watch", "1"], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as watcher:
            reader = threading.Thread(target=lambda: lines.extend(watcher.stdout), daemon=True)
            reader.start()
            try:
                _wait_for(lines, "Ctrl+C to stop")
                app = _app(fresh_database, tmp_path, server)
                try:
                    _raise_alert(app)  # after the watcher started: it needs no restart
                finally:
                    app.extensions["viewpoint.engine"].dispose()
                _wait_for(lines, "2 sent")
            finally:
                watcher.send_signal(signal.SIGINT)  # what Ctrl+C sends
                watcher.wait(timeout=30)
                reader.join(timeout=10)
    output = "".join(lines)
    assert watcher.returncode == 0, output
    assert lines[0] == "Sending alert emails every 1 seconds (Ctrl+C to stop).\n"
    assert "2 sent, 0 failed, 0 overdue alert(s) reported." in output
    assert lines[-1] == "Stopped.\n"
    assert len(server.mailbox.messages()) == 2


def _wait_for(lines: list[str], text: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not any(text in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
