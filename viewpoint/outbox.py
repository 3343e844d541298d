"""Emails through an outbox: queued in the same transaction as what they report, sent
afterwards by ``viewpoint outbox send``.

A safeguarding alert must reach the worker even when the mail server is down, so nothing
is ever sent from inside a request: the request only writes a row, and the sender tries
each row until the mail server accepts it, backing off while it is unreachable. Rows are
never deleted and never given up on; an administrator sees how many are waiting.

Sending happens outside any database transaction. A message is first *claimed* in a short
write transaction (its next attempt pushed a lease into the future, so that a second
sender passes it by), then handed to the mail server, then marked sent in another short
transaction. Holding a transaction open while talking to the mail server would hold
SQLite's single write lock, and every child saving an answer would wait for the network.
If the sender dies between the mail server accepting a message and marking it sent, that
one message goes again when its lease runs out; nothing else is sent twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import Alert, OutboxMessage, utcnow

log = logging.getLogger(__name__)

#: How long a claimed message is left to its sender before another sender may take it.
#: Far longer than a send takes (see :data:`SMTP_TIMEOUT_SECONDS`); it only matters when a
#: sender dies mid-message.
LEASE = timedelta(minutes=10)
#: Waits between attempts double from one minute up to this.
MAX_BACKOFF = timedelta(hours=1)
#: Seconds to wait for the mail server on each step of the conversation.
SMTP_TIMEOUT_SECONDS = 30
#: Longest error text kept for the administrator.
ERROR_LENGTH = 300


class MailNotConfigured(RuntimeError):
    """Raised when sending is asked for but ``SMTP_HOST`` is not set."""


@dataclass
class Delivery:
    """What one run of :func:`deliver` did."""

    #: Messages the mail server accepted.
    sent: int = 0
    #: Messages tried and not accepted (they stay queued and are tried again later).
    failed: int = 0
    #: Why the run stopped early (the mail server could not be reached), if it did.
    stopped_by: str | None = None


@dataclass(frozen=True)
class OutboxStatus:
    """The outbox at a glance, for the administrator."""

    #: Messages not yet accepted by the mail server (including those that failed).
    pending: int
    #: Of those, the ones that have been tried at least once and failed.
    failing: int
    #: Messages the mail server has accepted.
    sent: int
    #: When the longest-waiting message was queued.
    oldest_pending_at: datetime | None
    #: What went wrong with the longest-waiting failed message (never contains a password).
    last_error: str | None


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    body: str
    created_at: datetime


def queue(session: Session, to: str, subject: str, body: str,
          alert: Alert | None = None) -> OutboxMessage:
    """Add an email to the outbox, in the caller's transaction (it is sent once that commits).

    Raises ``ValueError`` for an address or subject that cannot go in an email header.
    """
    for name, value, longest in (("address", to, 254), ("subject", subject, 200)):
        if not value or "\n" in value or "\r" in value or len(value) > longest:
            raise ValueError(f"unusable email {name}: {value!r}")
    now = utcnow()
    message = OutboxMessage(to_address=to, subject=subject, body=body,
                            alert_id=alert.id if alert is not None else None,
                            created_at=now, next_attempt_at=now, attempts=0)
    session.add(message)
    return message


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... 60 minutes."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 10)), MAX_BACKOFF)


def deliver(*, now: datetime | None = None, limit: int = 100,
            stop: Callable[[], bool] | None = None) -> Delivery:
    """Send up to ``limit`` messages that are due, oldest first, each in its own transactions.

    Needs an app context; commits its own transactions, so call it with none open that
    holds unsaved work. ``now`` fixes the clock (tests); by default each step reads it.
    ``stop`` is asked before each message whether to finish early (the sender is stopping).
    A message the server refuses is counted as failed and the run goes on; if the server
    cannot be reached, every due message is counted as failed and the run stops.
    Raises :class:`MailNotConfigured` when ``SMTP_HOST`` is not set.
    """
    config = current_app.config
    if not config.get("SMTP_HOST"):
        raise MailNotConfigured("SMTP_HOST is not set, so no emails can be sent.")
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    delivery = Delivery()
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            if stop is not None and stop():
                break
            claimed = _claim(clock())
            if claimed is None:
                break
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (smtplib.SMTPException, OSError) as exc:
                    error = _describe(exc)
                    delivery.failed += _record_failure_of_all_due(claimed.id, error, clock(),
                                                                  limit)
                    delivery.stopped_by = error
                    log.warning("Mail server %s:%s could not be reached: %s",
                                config.get("SMTP_HOST"), config.get("SMTP_PORT"), error)
                    break
            try:
                smtp.send_message(_email(claimed, config["MAIL_FROM"]),
                                  from_addr=config["MAIL_FROM"], to_addrs=[claimed.to_address])
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                error = _describe(exc)
                _record_failure(claimed.id, error, clock())
                delivery.failed += 1
                if _connection_lost(exc):
                    # The rest wait for the next run rather than each waiting for a timeout.
                    delivery.stopped_by = error
                    log.warning("Mail server connection lost: %s", error)
                    break
                log.warning("Outbox message %s was not accepted: %s", claimed.id, error)
                continue
            _mark_sent(claimed.id, clock())
            delivery.sent += 1
    finally:
        if smtp is not None:
            _close(smtp)
    return delivery


def status(session: Session) -> OutboxStatus:
    """Counts of waiting, failing and sent messages, for the administrator."""
    unsent = OutboxMessage.sent_at.is_(None)
    pending, failing, sent, oldest = session.execute(select(
        func.count(case((unsent, 1))),
        func.count(case((unsent & (OutboxMessage.attempts > 0), 1))),
        func.count(OutboxMessage.sent_at),
        func.min(case((unsent, OutboxMessage.created_at))),
    )).one()
    last_error = session.scalar(
        select(OutboxMessage.last_error)
        .where(unsent, OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1))
    return OutboxStatus(pending=pending, failing=failing, sent=sent, oldest_pending_at=oldest,
                        last_error=last_error)


# --- the steps of one delivery, each its own short transaction ---

def _due(now: datetime) -> Select[tuple[OutboxMessage]]:
    # FOR UPDATE SKIP LOCKED on PostgreSQL: two senders claiming at once take different
    # rows instead of queueing behind each other. SQLite has no row locks (SQLAlchemy
    # leaves the clause out); there ``db.writing()`` starts with BEGIN IMMEDIATE, so claims
    # happen one after another and the second sees the first one's lease.
    return (select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .with_for_update(skip_locked=True))


def _claim(now: datetime) -> _Claimed | None:
    with db.writing() as session:
        message = session.scalars(_due(now).limit(1)).first()
        if message is None:
            return None
        message.next_attempt_at = now + LEASE
        return _Claimed(id=message.id, to_address=message.to_address, subject=message.subject,
                        body=message.body, created_at=message.created_at)


def _mark_sent(message_id: int, now: datetime) -> None:
    with db.writing() as session:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
                        .values(sent_at=now, attempts=OutboxMessage.attempts + 1,
                                last_error=None),
                        execution_options={"synchronize_session": False})


def _fail(message: OutboxMessage, error: str, now: datetime) -> None:
    message.attempts += 1
    message.last_error = error
    message.next_attempt_at = now + backoff(message.attempts)


def _record_failure(message_id: int, error: str, now: datetime) -> None:
    with db.writing() as session:
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is not None and message.sent_at is None:
            _fail(message, error, now)


def _record_failure_of_all_due(claimed_id: int, error: str, now: datetime, limit: int) -> int:
    """The server is unreachable for every message, not only the one claimed: count it
    against all that are due, so the administrator sees each one failing, and each backs off.
    """
    with db.writing() as session:
        messages = list(session.scalars(_due(now).limit(max(limit - 1, 0))))
        claimed = session.get(OutboxMessage, claimed_id, populate_existing=True)
        if claimed is not None and claimed.sent_at is None:
            messages.append(claimed)
        for message in messages:
            _fail(message, error, now)
        return len(messages)


# --- talking to the mail server ---

def _connect(config: dict[str, object]) -> smtplib.SMTP:
    smtp = smtplib.SMTP(str(config["SMTP_HOST"]), int(config.get("SMTP_PORT") or 25),
                        timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(str(config["SMTP_USERNAME"]), str(config.get("SMTP_PASSWORD") or ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _connection_lost(exc: BaseException) -> bool:
    # Every smtplib error is an OSError; only these mean the conversation is over.
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException))


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _email(claimed: _Claimed, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = claimed.to_address
    email["Subject"] = claimed.subject
    email["Date"] = format_datetime(claimed.created_at)
    # The same id every time the message is tried, so that a copy sent again after a
    # crash can be recognised as the same email.
    domain = sender.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox.{claimed.id}.{claimed.created_at:%Y%m%d%H%M%S}@{domain}>"
    # Tells mail systems not to send out-of-office replies to it (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(claimed.body)
    return email


def _describe(exc: BaseException) -> str:
    """A short description of a failure for the administrator, with no secrets in it."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        text = f"{exc.smtp_code} {detail}"
    else:
        text = str(exc) or type(exc).__name__
    text = " ".join(f"{type(exc).__name__}: {text}".split())
    password = current_app.config.get("SMTP_PASSWORD")
    if password:
        text = text.replace(str(password), "***")
    return text[:ERROR_LENGTH]
