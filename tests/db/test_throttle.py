"""Rate limits counted in the database: every hit counts, even when requests race each other
(PostgreSQL runs them at once), so parallel guessing gets no extra tries from lost updates."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.orm import sessionmaker

from tests.support import migrate
from viewpoint import throttle
from viewpoint.config import normalise_database_url
from viewpoint.extensions import create_database_engine

WINDOW = timedelta(minutes=15)
THREADS, HITS = 8, 10


def test_hits_racing_on_one_key_are_all_counted(fresh_database: str) -> None:
    migrate(fresh_database)
    engine = create_database_engine(normalise_database_url(fresh_database))
    make_session = sessionmaker(bind=engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def guess() -> None:
        start.wait()
        for _ in range(HITS):
            try:
                with make_session.begin() as session:
                    throttle.hit(session, "signin-failure:account:x@example.test", WINDOW)
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        with make_session() as session:
            assert throttle.count(session, "signin-failure:account:x@example.test",
                                  WINDOW) == THREADS * HITS
            assert throttle.is_limited(session, "signin-failure:account:x@example.test",
                                       THREADS * HITS, WINDOW)
    finally:
        engine.dispose()


def test_a_pace_counts_from_the_last_try_not_from_the_clock(fresh_database: str) -> None:
    """One try every 30 s means 30 s after the last try, wherever the clock's half-minutes
    fall: two tries a moment apart across a boundary are not both let through."""
    from datetime import UTC, datetime

    migrate(fresh_database)
    engine = create_database_engine(normalise_database_url(fresh_database))
    make_session = sessionmaker(bind=engine)
    pace = timedelta(seconds=30)
    key = "code-failure:pace:192.0.2.7"
    just_before = datetime(2026, 12, 3, 12, 0, 29, 900_000, tzinfo=UTC)
    with make_session.begin() as session:
        assert throttle.wait_left(session, key, pace, just_before) == 0  # nothing noted yet
        throttle.mark(session, key, just_before)
    with make_session.begin() as session:
        # A moment later, in the clock's next half-minute: still 30 s to wait, rounded up.
        assert throttle.wait_left(session, key, pace, just_before + timedelta(seconds=0.2)) \
            == 30
        assert throttle.wait_left(session, key, pace, just_before + timedelta(seconds=29.5)) \
            == 1
        assert throttle.wait_left(session, key, pace, just_before + pace) == 0
        throttle.mark(session, key, just_before + pace)
    with make_session.begin() as session:
        # The newer try is the one counted from.
        assert throttle.wait_left(session, key, pace, just_before + pace + timedelta(seconds=10)) \
            == 20
    engine.dispose()
