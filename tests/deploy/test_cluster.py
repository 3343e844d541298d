"""Two app servers behind nginx, one PostgreSQL, children answering throughout: a server
dies, the servers are upgraded one at a time to a build with a new migration, and last
night's backup is restored. Nothing a child was told was saved is lost or doubled.

The set-up is the council's own (``deploy/``: roles.sql, gunicorn.conf.py, the nginx site
and upstream, backup.sh), driven as docs/deploy.md says; see ``cluster.py``. Skipped where
nginx is not installed (CI installs it from Debian). ``make bench`` runs the same with more
children for longer (``benchmarks/cluster.py``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.deploy.cluster import (
    DEPLOY,
    ROOT,
    AppServer,
    Balancer,
    Child,
    Crowd,
    Database,
    Saved,
    answers_by_save_id,
    answers_for,
    app_env,
    database,
    free_port,
    head_revision,
    next_build,
    nginx_binary,
    seed_children,
    upgrade,
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
PAUSE = 2.0
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


def _by_question(child: Child) -> dict[str, list[Saved]]:
    found: dict[str, list[Saved]] = defaultdict(list)
    for saved in child.saved:
        found[saved.question].append(saved)
    return found


def _check_nothing_lost_or_doubled(children: list[Child], stored: dict[str, Any]) -> None:
    """Each question a child answered holds the last answer the child was told was saved;
    each child's answers are in one response; the database holds no other answer."""
    lost, wrong, responses = [], [], []
    expected = 0
    for child in children:
        mine = set()
        for question, saves in _by_question(child).items():
            expected += 1
            last = saves[-1]
            found = stored.get(last.save_id)
            if found is None:
                lost.append((child.code, question))
                continue
            response, stored_question, value = found
            mine.add(response)
            if stored_question != question or value != (None if last.declined else last.value):
                wrong.append((child.code, question, value, last.value))
        responses.append(mine)
    assert lost == [] and wrong == []
    assert all(len(mine) == 1 for mine in responses), "a child's answers are in two responses"
    assert len({next(iter(mine)) for mine in responses}) == len(children)
    assert len(stored) == expected, "the database holds answers no child was told were saved"


def _check_restored(children: list[Child], restored: dict[str, Any], started: float,
                    finished: float) -> None:
    """The restored database holds, for each question, the answer that was the newest when
    the backup began (or one saved while it ran), and nothing saved after it ended."""
    expected = 0
    for child in children:
        for question, saves in _by_question(child).items():
            before = [saved for saved in saves if saved.acked_at < started]
            held = [number for number, saved in enumerate(saves)
                    if saved.save_id in restored]
            if not before and not held:
                continue  # first answered after the backup began, and not in it: right
            assert len(held) == 1, (child.code, question, "missing from the backup")
            expected += 1
            number = held[0]
            saved = saves[number]
            assert restored[saved.save_id][1] == question
            # Nothing newer had been saved before the backup began...
            assert all(later.acked_at >= started for later in saves[number + 1:]), \
                (child.code, question, "an older answer than the backup's moment")
            # ...and this was saved before it ended (a little time for the reply to arrive).
            assert saved.acked_at <= finished + 5.0, (child.code, question, "saved after it")
    assert len(restored) == expected


def test_a_crash_a_rolling_upgrade_and_a_restore_lose_no_answer(
        postgres_server_url: str, tmp_path: Path) -> None:
    with database(postgres_server_url) as db:
        _run(db, tmp_path)


def _run(db: Database, tmp_path: Path) -> None:
    upgrade(ROOT, db, tmp_path / "migrate")
    codes = seed_children(db, tmp_path / "seed", CHILDREN)
    servers = [AppServer("a", free_port(), tmp_path / "a.log"),
               AppServer("b", free_port(), tmp_path / "b.log")]
    balancer = Balancer(tmp_path / "nginx", servers)
    env = app_env(db, tmp_path / "instance", f"https://127.0.0.1:{balancer.port}")
    questions = {band: answers_for(band) for _, band in codes}
    crowd = Crowd([Child(balancer.port, balancer.tls(), code, band, questions[band])
                   for code, band in codes], pause=PAUSE)
    try:
        for server in servers:
            server.start(env)
        balancer.start()
        crowd.sign_in_all()
        crowd.start()
        time.sleep(3 * PAUSE)

        # 1. An app server dies (kill -9, master and workers), and systemd starts it again.
        killed_at = time.monotonic()
        servers[0].kill()
        time.sleep(4.0)
        servers[0].start(env)
        time.sleep(NOTICE_SECONDS)
        saves_after_crash = crowd.saves()

        # 2. Last night's backup, taken while children answer.
        backup_started = time.monotonic()
        backed_up = subprocess.run(
            [str(DEPLOY / "postgresql" / "backup.sh")], capture_output=True, text=True,
            timeout=300, env={**os.environ, "DATABASE_URL": db.url(db.migrator, libpq=True),
                              "BACKUP_DIR": str(tmp_path / "backups")})
        backup_finished = time.monotonic()
        assert backed_up.returncode == 0, backed_up.stderr
        dump = Path(backed_up.stdout.strip())

        # 3. The rolling upgrade: migrate (expand only) while the old build serves, then
        #    each server in turn: out of the balancer, stopped, started on the new build,
        #    ready, back in.
        build, revision = next_build(tmp_path / "next")
        before_upgrade = time.monotonic()
        upgrade(build, db, tmp_path / "migrate")
        for server in servers:
            assert server.ready() is not None  # the old build runs on the expanded schema
        for server in servers:
            balancer.set_down(server.name, True)
            server.stop()
            server.start(env, build)
            balancer.set_down(server.name, False)
        time.sleep(3 * PAUSE)
    finally:
        crowd.stop()
        balancer.stop()
        for server in servers:
            server.stop()

    failures = crowd.failures()
    print(f"{len(crowd.children)} children, {crowd.requests()} requests, {crowd.saves()} "
          f"saves; sent again on a new connection: {crowd.resent()}; "
          f"failed requests: {len(failures)}, "
          f"{sorted({failure.kind for failure in failures})}")
    # Errors only while the balancer noticed the dead server; none in the upgrade.
    assert all(killed_at <= failure.at <= killed_at + NOTICE_SECONDS for failure in failures), \
        [(round(failure.at - killed_at, 1), failure.kind) for failure in failures]
    assert crowd.saves() > saves_after_crash > 0
    upgraded_saves = sum(1 for child in crowd.children for saved in child.saved
                         if saved.acked_at > before_upgrade)
    assert upgraded_saves > CHILDREN  # every child kept answering through the upgrade

    # Nothing lost, nothing doubled.
    _check_nothing_lost_or_doubled(crowd.children, answers_by_save_id(db.url(db.migrator)))

    # Both servers ran the new build to the end, on its schema.
    for server in servers:
        assert server.build == build
    assert head_revision(build) == revision
    engine = create_engine(normalise_database_url(db.url(db.migrator)))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")
                                      ).scalar() == revision
            assert connection.execute(text("SELECT count(*) FROM answer WHERE came_from "
                                           "IS NOT NULL")).scalar() == 0
    finally:
        engine.dispose()

    # Last night's backup, restored into a new database.
    restored = f"{db.name}_restored"
    admin = db.admin()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{restored}" OWNER "{db.migrator}"'))
    finally:
        admin.dispose()
    back = subprocess.run(["pg_restore", "--exit-on-error", "--dbname",
                           db.url(db.migrator, restored, libpq=True), str(dump)],
                          capture_output=True, text=True, timeout=300)
    assert back.returncode == 0, back.stderr
    _check_restored(crowd.children, answers_by_save_id(db.url(db.migrator, restored)),
                    backup_started, backup_finished)
    unchanged = ("child", "plan", "team", "staff_user")
    assert _digests(db.url(db.migrator, restored), unchanged) == \
        _digests(db.url(db.migrator), unchanged)
