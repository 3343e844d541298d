"""Webhooks: connected systems told when a response is sent or an alert raised,
acknowledged or closed.

Like the alert emails, nothing is sent from inside a request. :func:`publish` writes one
:class:`WebhookDelivery` row per subscription in the same transaction as what it reports
(so an event is never announced for a change that was rolled back, and never lost for one
that was kept), and ``viewpoint webhooks send`` delivers them afterwards: claimed in a
short transaction with a lease, POSTed with no transaction open, then marked delivered.
A receiver that does not answer 2xx gets it again later, backing off from a minute to an
hour, for ever; a sender that dies between the receiver's answer and the mark sends that
one delivery again, with the same event id.

The body says what happened and to which records (ids and the case-management
reference), never a name or an answer: the receiver fetches the record with its own token.
Deliveries are signed as the Standard Webhooks specification describes (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``),
which libraries exist for in most languages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..extensions import db
from ..models import (
    Child,
    ServiceAccount,
    User,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from . import Refusal

log = logging.getLogger(__name__)

#: The events a system can be told of, with what an administrator reads on the form.
EVENTS = {
    "response.submitted": _l("A child sent their answers"),
    "alert.raised": _l("A safeguarding alert was raised"),
    "alert.acknowledged": _l("An alert was acknowledged"),
    "alert.closed": _l("An alert was closed"),
}
#: A claimed delivery is left to its sender this long before another may take it.
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
#: Seconds to wait for a receiver.
TIMEOUT_SECONDS = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
URL_MAX = 500


class WebhookProblem(Refusal):
    """An administrator asked for something that cannot be made (see :class:`Refusal`)."""


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    #: The signing key, shown this once.
    secret: str


def _is_this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """None if events may be sent to ``url``: https, or (outside production) http to this
    machine, for a receiver being tried out. Anything else would send what happened in
    clear across a network; in production, plain http to this machine would let the sender
    be pointed at the server's own services."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or len(url) > URL_MAX or parts.username \
            or any(character.isspace() for character in url):
        return _("Enter the full address the system receives events at, starting https://.")
    trying_out = current_app.config.get("VIEWPOINT_ENV") != "production"
    if parts.scheme == "https" or (parts.scheme == "http" and trying_out
                                   and _is_this_machine(parts.hostname)):
        return None
    if not trying_out:
        return _("Events are sent only to https:// addresses.")
    return _("Events are sent only to https:// addresses (or http:// on this machine, for "
             "trying a receiver out).")


def subscribe(session: Session, account: ServiceAccount, *, url: str, events: list[str],
              actor: User | None = None) -> NewSubscription:
    """Send ``events`` to ``url`` for ``account``. Raises :class:`WebhookProblem` for an
    address that is not https (or http on this machine), or no event or an unknown one."""
    url = (url or "").strip()
    if (problem := url_problem(url)) is not None:
        raise WebhookProblem(problem, "url")
    if not events or set(events) - set(EVENTS):
        raise WebhookProblem(_("Choose the events to send from the list."), "events")
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    subscription = WebhookSubscription(service_account_id=account.id, url=url, secret=secret,
                                       events=[name for name in EVENTS if name in events])
    session.add(subscription)
    session.flush()
    audit.record("webhook.added", subject=subscription, actor=actor, session=session,
                 detail={"system": account.name, "url": url, "events": subscription.events})
    return NewSubscription(subscription, secret)


def unsubscribe(session: Session, subscription: WebhookSubscription, *,
                actor: User | None = None) -> bool:
    """Stop queueing events for it (what is queued already is still delivered)."""
    if subscription.removed_at is not None:
        return False
    subscription.removed_at = utcnow()
    audit.record("webhook.removed", subject=subscription, actor=actor, session=session,
                 detail={"url": subscription.url})
    return True


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def publish(session: Session, event_type: str, child: Child | int, **records: Any) -> int:
    """Queue ``event_type`` about ``child`` for every subscription that wants it and whose
    system may see the child, in the caller's transaction. ``records`` are ids and
    references only (``response_id=...``, ``alert_id=...``). Returns how many were queued."""
    assert event_type in EVENTS, event_type
    if isinstance(child, int):
        found = session.get(Child, child)
        assert found is not None
        child = found
    subscriptions = [
        subscription for subscription, account in session.execute(
            select(WebhookSubscription, ServiceAccount)
            .join(ServiceAccount, WebhookSubscription.service_account_id == ServiceAccount.id)
            .where(WebhookSubscription.removed_at.is_(None),
                   ServiceAccount.revoked_at.is_(None))).all()
        if event_type in subscription.events
        and (not account.team_ids or child.team_id in account.team_ids)]
    if not subscriptions:
        return 0
    now = utcnow()
    event_id = new_event_id()
    links = {name.removesuffix("_id"): f"/api/v1/{name.removesuffix('_id')}s/{value}"
             for name, value in records.items()}
    payload = {"id": event_id, "type": event_type,
               "occurred_at": now.isoformat().replace("+00:00", "Z"),
               "data": {"child_reference": child.reference, **records, "links": links}}
    for subscription in subscriptions:
        session.add(WebhookDelivery(subscription_id=subscription.id, event_id=event_id,
                                    event_type=event_type, payload=payload, created_at=now,
                                    next_attempt_at=now))
    return len(subscriptions)


# --- signing, as the Standard Webhooks specification describes ---

def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body`` with the secret's key."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: datetime | None = None,
           tolerance: timedelta = timedelta(minutes=5)) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        timestamp = int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    moment = (now or utcnow()).timestamp()
    if abs(moment - timestamp) > tolerance.total_seconds():
        return False
    expected = signature(secret, headers.get("webhook-id", ""), timestamp, body)
    return any(hmac.compare_digest(expected, given)
               for given in headers.get("webhook-signature", "").split())


# --- delivering ---

@dataclass
class Sent:
    delivered: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_id: str
    url: str
    secret: str
    body: bytes


def _due(now: datetime) -> Select[tuple[WebhookDelivery]]:
    return (select(WebhookDelivery)
            .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .with_for_update(skip_locked=True))


def _claim(now: datetime) -> _Claimed | None:
    with db.writing() as session:
        delivery = session.scalars(_due(now).limit(1)).first()
        if delivery is None:
            return None
        delivery.next_attempt_at = now + LEASE
        subscription = delivery.subscription
        return _Claimed(delivery.id, delivery.event_id, subscription.url, subscription.secret,
                        json.dumps(delivery.payload, separators=(",", ":"),
                                   sort_keys=True).encode())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is an answer, not an address to follow: the event goes only to
    the address an administrator checked (a 3xx is a failure, tried again later)."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(claimed: _Claimed, now: datetime) -> str | None:
    """POST one delivery; None when the receiver answered 2xx, else what went wrong."""
    timestamp = int(now.timestamp())
    # (The address was checked when it was added: https, or http to this machine.)
    request = urllib.request.Request(claimed.url, data=claimed.body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "User-Agent": "viewpoint-webhooks",
        "webhook-id": claimed.event_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(claimed.secret, claimed.event_id, timestamp,
                                       claimed.body)})
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"{type(error).__name__}: {reason}"[:300]
    return None if 200 <= status < 300 else f"The receiver answered {status}."


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after each failed try, at most an hour."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 10)), MAX_BACKOFF)


def deliver(*, now: Callable[[], datetime] = utcnow, limit: int = 200,
            stop: Callable[[], bool] | None = None) -> Sent:
    """Deliver up to ``limit`` due deliveries, oldest first. Needs an app context and no open
    transaction holding unsaved work (it commits its own)."""
    sent = Sent()
    for _turn in range(limit):
        if stop is not None and stop():
            break
        claimed = _claim(now())
        if claimed is None:
            break
        error = _post(claimed, now())
        with db.writing() as session:
            if error is None:
                session.execute(update(WebhookDelivery).where(
                    WebhookDelivery.id == claimed.id, WebhookDelivery.delivered_at.is_(None))
                    .values(delivered_at=now(), attempts=WebhookDelivery.attempts + 1,
                            last_error=None),
                    execution_options={"synchronize_session": False})
                sent.delivered += 1
            else:
                delivery = session.get(WebhookDelivery, claimed.id, populate_existing=True)
                if delivery is not None and delivery.delivered_at is None:
                    delivery.attempts += 1
                    delivery.last_error = error
                    delivery.next_attempt_at = now() + backoff(delivery.attempts)
                sent.failed += 1
                log.warning("Webhook delivery %s was not accepted: %s", claimed.id, error)
    return sent


@dataclass(frozen=True)
class WebhookStatus:
    waiting: int
    failing: int
    delivered: int


def status(session: Session) -> WebhookStatus:
    waiting = WebhookDelivery.delivered_at.is_(None)
    counts = session.execute(select(
        func.count(case((waiting, 1))),
        func.count(case((waiting & (WebhookDelivery.attempts > 0), 1))),
        func.count(WebhookDelivery.delivered_at))).one()
    return WebhookStatus(*counts)
