"""Two app servers behind nginx, one PostgreSQL, children answering throughout: a server
dies, the servers are upgraded one at a time to a build with a new migration, and last
night's backup is restored. Nothing a child was told was saved is lost or doubled.

The set-up is the council's own (``deploy/``: roles.sql, gunicorn.conf.py, the nginx site
and upstream, backup.sh), driven as docs/deploy.md says: see ``cluster.py``. Skipped where
nginx is not installed, except under CI (which installs it from Debian). ``make bench``
runs the same with more children for longer (``benchmarks/cluster.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tests.deploy.cluster import (
    answers_by_save_id,
    database,
    head_revision,
    lost_or_doubled,
    nginx_binary,
    not_as_backed_up,
    rehearse,
    restore,
)
from viewpoint.config import normalise_database_url

pytestmark = [
    pytest.mark.slow,
    # Skipped where nginx is missing, except under CI (which installs Debian's nginx).
    pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                       reason="nginx is not installed"),
]

CHILDREN = 100
#: Seconds between one child's saves, on average (a child reading and choosing is slower).
PAUSE = 3.0
#: How long the balancer may take to notice a dead server: failed requests are allowed
#: only this long after the kill (nginx leaves a server alone after one failed connection,
#: so in practice only the requests the dead server had taken fail).
NOTICE_SECONDS = 10.0

#: A digest of every row of a table, in a stable order (the table's name is ours).
_DIGEST = ("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
           'FROM "{}" t')


def _digests(url: str, tables: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return {table: tuple(connection.execute(text(  # type: ignore[misc]
                _DIGEST.format(table))).one()) for table in tables}
    finally:
        engine.dispose()


def test_a_crash_a_rolling_upgrade_and_a_restore_lose_no_answer(
        postgres_server_url: str, tmp_path: Path) -> None:
    with database(postgres_server_url) as db:
        run = rehearse(db, tmp_path, CHILDREN, pause=PAUSE, notice=NOTICE_SECONDS,
                       steady=3 * PAUSE)
        crowd = run.crowd
        failures = crowd.failures()
        print(f"{len(crowd.children)} children, {crowd.requests()} requests, "
              f"{crowd.saves()} saves; sent again on a new connection: {crowd.resent()}; "
              f"failed requests: {len(failures)}, {sorted({f.kind for f in failures})}")

        # Errors only while the balancer noticed the dead server; none in the upgrade.
        assert all(run.killed_at <= f.at <= run.killed_at + NOTICE_SECONDS
                   for f in failures), [(round(f.at - run.killed_at, 1), f.kind)
                                        for f in failures]
        assert run.failures(run.upgrade_started, run.finished) == []
        # Every child kept answering through the upgrade, and after it.
        during = run.timings(run.upgrade_started, run.upgrade_finished)
        assert len(during) > CHILDREN and all(saved for _, _, saved in during)
        assert len(run.timings(run.upgrade_finished, run.finished)) > CHILDREN // 2

        # Nothing lost, nothing doubled.
        assert lost_or_doubled(crowd.children, answers_by_save_id(db.url(db.migrator))) == []

        # Both servers run the new build, on its schema.
        assert run.build is not None and head_revision(run.build) == run.revision
        assert run.revisions_seen == {name: f"{run.revision} (current)" for name in "ab"}
        assert all(server.build == run.build for server in run.servers)
        engine = create_engine(normalise_database_url(db.url(db.migrator)))
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM answer "
                                               "WHERE came_from IS NOT NULL")).scalar() == 0
        finally:
            engine.dispose()

        # Last night's backup, restored into a new database.
        assert run.dump is not None
        restored = restore(db, run.dump)
        assert not_as_backed_up(crowd.children,
                                answers_by_save_id(db.url(db.migrator, restored)),
                                run.backup_started, run.backup_finished) == []
        # The app's role reads and writes it, as it did the original, and changes no table.
        engine = create_engine(normalise_database_url(db.url(db.app_role, restored)))
        try:
            with engine.begin() as connection:
                assert connection.execute(text("SELECT count(*) FROM answer")).scalar()
                connection.execute(text("UPDATE team SET name = name"))
            with pytest.raises(ProgrammingError), engine.connect() as connection:
                connection.execute(text("ALTER TABLE answer ADD COLUMN note text"))
        finally:
            engine.dispose()
        unchanged = ("child", "plan", "team", "staff_user")
        assert _digests(db.url(db.migrator, restored), unchanged) == \
            _digests(db.url(db.migrator), unchanged)
