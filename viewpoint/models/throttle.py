"""Counters for rate limits, shared by every worker process through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RateLimitBucket(Base):
    """How many times something happened for one key in one fixed time window; or, for a
    pace (``throttle.mark``), the moment of the key's last try."""

    __tablename__ = "rate_limit_bucket"

    #: What is being counted and for whom ("code-failure:client:203.0.113.9").
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    #: Start of the window the count belongs to (for a pace: the last try).
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    #: Events in the window so far.
    count: Mapped[int] = mapped_column(default=0)
