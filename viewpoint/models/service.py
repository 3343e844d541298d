"""Service accounts: other systems of the council (a case-management system, a data
warehouse) calling viewpoint's API with a token of their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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
