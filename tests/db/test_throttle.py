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
