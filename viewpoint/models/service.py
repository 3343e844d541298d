"""Service accounts: other systems of the council (a case-management system, a data
warehouse) calling viewpoint's API with a token of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONValue, utcnow
from .staff import User


class ServiceAccount(Base):
    """One system's way in. Its token is shown once, when an administrator creates it, and
    kept only as a hash; what it may do is its scopes, and whose children, its teams."""

    __tablename__ = "service_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the system is, for people reading the audit trail ("Mosaic nightly sync").
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: SHA-256 of the token (tokens are long and random, so a fast hash is enough).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, shown so that people can tell tokens apart.
    token_hint: Mapped[str] = mapped_column(String(16))
    #: What the token may do ("children:read", "responses:read"...; see ``operations.service``).
    scopes: Mapped[list[str]] = mapped_column(JSONValue)
    #: Limited to these teams' children; empty: every team.
    team_ids: Mapped[list[int]] = mapped_column(JSONValue, default=list)
    #: The token stops working at this moment.
    expires_at: Mapped[datetime]
    #: The token was withdrawn by an administrator at this moment.
    revoked_at: Mapped[datetime | None]
    #: Calls a minute it may make before it is asked to wait.
    calls_per_minute: Mapped[int] = mapped_column(default=120)
    #: Who created it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: When.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Its last call (to spot tokens nobody uses any more).
    last_used_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ServiceAccount {self.id} {self.name}>"


class WebhookSubscription(Base):
    """An address of a connected system told when something happens (a response sent, an
    alert raised, acknowledged or closed). It learns only what happened and to which
    record, never a name or an answer: it fetches those with its own token, so its scopes
    and teams still decide what it can read."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The system it belongs to: only events about children its teams hold are sent.
    service_account_id: Mapped[int] = mapped_column(
        ForeignKey("service_account.id", ondelete="CASCADE"), index=True)
    #: Where events are POSTed (https, or http to this machine for testing).
    url: Mapped[str] = mapped_column(String(500))
    #: The key each delivery is signed with (Standard Webhooks, HMAC-SHA256); shown once.
    secret: Mapped[str] = mapped_column(String(80))
    #: The kinds of event sent ("response.submitted", "alert.raised"...).
    events: Mapped[list[str]] = mapped_column(JSONValue)
    #: When it was added.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When an administrator removed it; nothing new is queued for it after this.
    removed_at: Mapped[datetime | None]

    service_account: Mapped[ServiceAccount] = relationship()


class WebhookDelivery(Base):
    """One event waiting for, or delivered to, one subscription: the outbox of webhooks.

    Written in the same transaction as what it reports, delivered afterwards by
    ``viewpoint webhooks send``, tried until the receiver accepts it, never deleted. The
    event id is the same on every try, so a receiver that keeps the ids it has seen never
    acts on an event twice."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_pending", "delivered_at", "next_attempt_at"),
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    #: The event's id, the same for every receiver and every try ("evt_...").
    event_id: Mapped[str] = mapped_column(String(40))
    #: What happened ("alert.raised").
    event_type: Mapped[str] = mapped_column(String(40))
    #: The JSON sent: what happened and to which records (ids and references only).
    payload: Mapped[dict[str, Any]]
    #: When it happened.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Not tried again before this moment (backs off after failures; a lease while sending).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: How many times it has been tried.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: What went wrong the last time, for the administrator.
    last_error: Mapped[str | None] = mapped_column(String(300))
    #: When the receiver accepted it (a 2xx answer); empty while waiting.
    delivered_at: Mapped[datetime | None]

    subscription: Mapped[WebhookSubscription] = relationship()
