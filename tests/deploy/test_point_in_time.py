"""Continuous archiving (``deploy/postgresql/``): a PostgreSQL cluster set up with
``wal-archiving.conf`` and ``archive-wal.sh``, a base backup by ``base-backup.sh``, and a
recovery by ``restore-to-time.sh`` to the moment before a wrong change: the database comes
back with everything up to that moment and without the change.

A private cluster of its own (archiving needs a restart to switch on), started with the
machine's initdb, as the postgres user when the tests run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support import _find_pg_bin, _free_port, _user_exists, migrate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "postgresql"

pytestmark = pytest.mark.slow
_ADD_TEAM = "INSERT INTO team (name, created_at) VALUES (:name, now())"


class Cluster:
    def __init__(self, base: Path, run_as: list[str]) -> None:
        self.base, self.run_as = base, run_as
        self.pg_ctl = _find_pg_bin("pg_ctl") or ""
        self.running: list[tuple[Path, int]] = []

    def run(self, *command: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run([*self.run_as, *command], capture_output=True, text=True,
                              timeout=300, env={**os.environ, **(env or {})})
        assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, data: Path) -> int:
        port = _free_port()
        self.run(self.pg_ctl, "-D", str(data), "-l", str(data.parent / f"{data.name}.log"),
                 "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {self.base}",
                 "-w", "-t", "120", "start")
        self.running.append((data, port))
        return port

    def stop(self, data: Path) -> None:
        self.run(self.pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        self.running = [(d, p) for d, p in self.running if d != data]


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    initdb = _find_pg_bin("initdb")
    if initdb is None or _find_pg_bin("pg_basebackup") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's initdb and pg_basebackup are missing")
        pytest.skip("PostgreSQL's initdb and pg_basebackup are missing")
    base = Path(tempfile.mkdtemp(prefix="viewpoint-pitr-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
        run_as = ["runuser", "-u", user, "--"]
    base.chmod(0o700)
    made = Cluster(base, run_as)
    try:
        yield made
    finally:
        for data, _ in list(made.running):
            subprocess.run([*run_as, made.pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _engine(port: int, database: str = "viewpoint"):  # type: ignore[no-untyped-def]
    return create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}",
                         isolation_level="AUTOCOMMIT")


def test_the_archived_log_brings_the_database_back_to_the_moment_before_a_mistake(
        cluster: Cluster) -> None:
    base = cluster.base
    archive, data, backups = base / "wal-archive", base / "data", base / "backups"
    # The scripts as the council installs them, where the postgres user can run them.
    for script in ("archive-wal.sh", "base-backup.sh", "restore-to-time.sh"):
        shutil.copy(DEPLOY / script, base / script)
    cluster.run("mkdir", "-m", "700", str(archive), str(backups))
    cluster.run(_find_pg_bin("initdb") or "", "-D", str(data), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    settings = (DEPLOY / "wal-archiving.conf").read_text()
    for shipped, here in (("/opt/viewpoint/current/deploy/postgresql/archive-wal.sh",
                           str(base / "archive-wal.sh")),
                          ("/var/lib/postgresql/wal-archive", str(archive))):
        assert shipped in settings
        settings = settings.replace(shipped, here)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n" + settings)
    port = cluster.start(data)

    server = _engine(port, "postgres")
    with server.connect() as connection:
        connection.execute(text("CREATE DATABASE viewpoint"))
    server.dispose()
    migrate(f"postgresql://postgres@127.0.0.1:{port}/viewpoint")
    engine = _engine(port)
    with engine.connect() as connection:
        connection.execute(text(_ADD_TEAM), {"name": "Before the base backup"})

    made = cluster.run(str(base / "base-backup.sh"), env={
        "BASE_BACKUP_DIR": str(backups), "WAL_ARCHIVE_DIR": str(archive),
        "PG_OPTIONS": f"-h 127.0.0.1 -p {port} -U postgres"}).strip().splitlines()[-1]
    backup = Path(made)
    assert backup.parent == backups and (backup / "base.tar.gz").is_file()
    assert [p.name for p in backups.iterdir()] == [backup.name]  # nothing partial left

    with engine.connect() as connection:
        connection.execute(text(_ADD_TEAM), {"name": "After the base backup"})
        moment = connection.execute(text("SELECT now()")).scalar()
        time.sleep(1.5)
        # The mistake: every team renamed.
        connection.execute(text("UPDATE team SET name = 'Renamed by mistake ' || id"))
        finished = connection.execute(text("SELECT pg_walfile_name(pg_switch_wal())")).scalar()
        deadline = time.monotonic() + 60
        while True:
            archived, failed = connection.execute(text(
                "SELECT last_archived_wal, failed_count FROM pg_stat_archiver")).one()
            assert failed == 0, "archive-wal.sh failed; see the cluster's log"
            if archived is not None and archived >= finished:
                break
            assert time.monotonic() < deadline, "the log was not archived within 60 s"
            time.sleep(0.2)
    engine.dispose()
    cluster.stop(data)
    assert (archive / finished).is_file()
    assert not list(archive.glob(".*partial"))

    restored = base / "restored"
    cluster.run(str(base / "restore-to-time.sh"), str(backup), str(archive), str(restored),
                moment.isoformat(sep=" "))
    port = cluster.start(restored)
    engine = _engine(port)
    try:
        with engine.connect() as connection:
            # It takes connections (read only) while it still replays the log: recovery is
            # over when it has reached the moment and opened the database for writing.
            deadline = time.monotonic() + 120
            while connection.execute(text("SELECT pg_is_in_recovery()")).scalar():
                assert time.monotonic() < deadline, "still recovering after 120 s"
                time.sleep(0.2)
            names = connection.execute(text("SELECT name FROM team ORDER BY id")).scalars().all()
            assert names == ["Before the base backup", "After the base backup"]
            connection.execute(text(_ADD_TEAM), {"name": "Written after the recovery"})
    finally:
        engine.dispose()

    # A folder that is not empty is refused: a restore never writes over a database.
    refused = subprocess.run([*cluster.run_as, str(base / "restore-to-time.sh"), str(backup),
                              str(archive), str(restored), moment.isoformat(sep=" ")],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "not empty" in refused.stderr
