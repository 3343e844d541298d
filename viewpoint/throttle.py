"""Rate limits kept in the database, so that every worker process sees the same counts.

Fixed windows: a key may be hit ``limit`` times per ``window``. Limits are per key (one
client, one code), never global, so that nobody can lock everyone else out.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import RateLimitBucket, utcnow


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def count(session: Session, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Hits for ``key`` in the current window."""
    start = _window_start(now or utcnow(), window)
    return session.scalar(select(RateLimitBucket.count).where(
        RateLimitBucket.key == key, RateLimitBucket.window_start == start)) or 0


def is_limited(session: Session, key: str, limit: int, window: timedelta,
               now: datetime | None = None) -> bool:
    return count(session, key, window, now) >= limit


def hit(session: Session, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Count one more hit for ``key``; returns the new count. Old windows are pruned.

    One statement adds the hit (an insert that becomes an increment if the window's row is
    there), so hits racing each other from several requests (PostgreSQL lets them run at
    once) are all counted, and the second to create a window's row never fails.
    """
    now = now or utcnow()
    start = _window_start(now, window)
    session.execute(delete(RateLimitBucket).where(RateLimitBucket.key == key,
                                                  RateLimitBucket.window_start < start))
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(RateLimitBucket).values(key=key, window_start=start, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[RateLimitBucket.key, RateLimitBucket.window_start],
        set_={"count": RateLimitBucket.count + 1},
    ).returning(RateLimitBucket.count)
    return int(session.execute(statement).scalar_one())


def seconds_left(window: timedelta, now: datetime | None = None) -> int:
    """Seconds until the current window ends (to tell people when to try again)."""
    now = now or utcnow()
    return int((_window_start(now, window) + window - now).total_seconds()) + 1


# --- a pace: one try every so often ---
#
# A fixed window lets two tries through a moment apart, one at the end of a window and one
# at the start of the next. A pace counts from the last try itself: its key keeps one row,
# whose ``window_start`` is the moment of the last try.


def mark(session: Session, key: str, now: datetime | None = None) -> None:
    """Note a try for ``key`` now (replacing the one noted before)."""
    now = now or utcnow()
    session.execute(delete(RateLimitBucket).where(RateLimitBucket.key == key))
    session.add(RateLimitBucket(key=key, window_start=now, count=1))
    session.flush()


def wait_left(session: Session, key: str, pace: timedelta, now: datetime | None = None) -> int:
    """Whole seconds (rounded up) until ``pace`` has passed since the last try noted for
    ``key``; 0 when it has, or when none was noted."""
    now = now or utcnow()
    last = session.scalar(select(RateLimitBucket.window_start)
                          .where(RateLimitBucket.key == key)
                          .order_by(RateLimitBucket.window_start.desc()).limit(1))
    if last is None:
        return 0
    left = (last + pace - now).total_seconds()
    return max(0, math.ceil(left))
