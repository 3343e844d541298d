"""The production database as ``deploy/postgresql/`` sets it up.

- Two roles (``roles.sql``): migrations run as the role that owns the schema; the app runs
  as a role that reads and writes rows and can change no table. The app, run as that role,
  does what it does (the demo council is built, answered and published through it) and
  every attempt to change the structure is refused by PostgreSQL itself.
- The nightly backup (``backup.sh``) restores into a new database holding exactly what the
  original held when the backup was taken, table by table and row by row.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests.support import make_config
from viewpoint import create_app
from viewpoint.cli import db_group
from viewpoint.config import normalise_database_url
from viewpoint.demo import demo_command

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "postgresql"
_numbers = itertools.count()
#: Both roles' password here (a server that checks passwords, as CI's does, needs one).
PASSWORD = secrets.token_hex(16)


@dataclass
class Council:
    """A database made by roles.sql, migrated, and with the demo council built in it by
    the app running as the app's role."""

    server: str
    name: str
    migrator: str
    app_role: str
    app: Flask
    admin: Engine

    def url(self, user: str, database: str | None = None, *, libpq: bool = False) -> str:
        url = make_url(normalise_database_url(self.server)).set(
            username=user, password=PASSWORD, database=database or self.name)
        if libpq:
            url = url.set(drivername="postgresql")
        return url.render_as_string(hide_password=False)


def _libpq(server: str) -> str:
    return make_url(normalise_database_url(server)).set(
        drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture()
def council(postgres_server_url: str, tmp_path: Path) -> Iterator[Council]:
    suffix = f"{os.getpid()}_{next(_numbers)}"
    name, migrator, app_role = f"vp_deploy_{suffix}", f"vp_migrate_{suffix}", f"vp_app_{suffix}"
    admin = create_engine(normalise_database_url(postgres_server_url),
                          isolation_level="AUTOCOMMIT")
    try:
        made = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"database={name}",
             "-v", f"migrator={migrator}", "-v", f"migrator_password={PASSWORD}",
             "-v", f"app={app_role}", "-v", f"app_password={PASSWORD}",
             "-d", _libpq(postgres_server_url), "-f", str(DEPLOY / "roles.sql")],
            capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        council = Council(postgres_server_url, name, migrator, app_role, None, admin)  # type: ignore[arg-type]

        migrating = create_app(make_config(council.url(migrator), tmp_path / "migrate"))
        upgraded = migrating.test_cli_runner().invoke(db_group, ["upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        migrating.extensions["viewpoint.engine"].dispose()

        council.app = create_app(make_config(council.url(app_role), tmp_path / "app"))
        built = council.app.test_cli_runner().invoke(demo_command, ["--responses", "40"])
        assert built.exit_code == 0, built.output
        assert "admin@demo.viewpoint.test" in built.output
        yield council
        council.app.extensions["viewpoint.engine"].dispose()
    finally:
        with admin.connect() as connection:
            databases = connection.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE :like"),
                {"like": f"{name}%"}).scalars().all()
            for database in databases:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            for role in (app_role, migrator):
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_app_runs_as_a_role_that_can_change_no_table(council: Council) -> None:
    ready = council.app.test_client().get("/healthz",
                                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ready.status_code == 200 and ready.get_json()["database"]["schema"] == "current"
    engine = council.app.extensions["viewpoint.engine"]
    for statement in ("ALTER TABLE staff_user ADD COLUMN note text",
                      "DROP TABLE audit_event",
                      "CREATE TABLE copied (id integer)",
                      "TRUNCATE response"):
        with engine.connect() as connection, pytest.raises(ProgrammingError) as refused:
            connection.execute(text(statement))
        assert "permission denied" in str(refused.value) or \
            "must be owner" in str(refused.value), statement
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM response")).scalar()


def _contents(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows, in a stable order."""
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            tables = connection.execute(text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).scalars().all()
            digest = ("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY "
                      "t::text)), '') FROM {} t")
            # (the table names are the database's own, read just above)
            return {table: tuple(connection.execute(text(  # type: ignore[misc]
                digest.format(f'"{table}"'))).one()) for table in tables}
    finally:
        engine.dispose()


def test_last_nights_backup_restores_what_there_was_when_it_was_taken(
        council: Council, tmp_path: Path) -> None:
    before = _contents(council.url(council.migrator))
    assert before["response"][0] > 0 and before["audit_event"][0] > 0
    backed_up = subprocess.run(
        [str(DEPLOY / "backup.sh")], capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": council.url(council.migrator, libpq=True),
             "BACKUP_DIR": str(tmp_path / "backups"), "KEEP_DAYS": "14"})
    assert backed_up.returncode == 0, backed_up.stderr
    dump = Path(backed_up.stdout.strip())
    assert dump.is_file() and dump.parent == tmp_path / "backups"
    assert [p.name for p in dump.parent.iterdir()] == [dump.name]  # no partial file left

    # The day goes on after the backup: a worker's name is changed.
    with council.app.app_context():
        engine = council.app.extensions["viewpoint.engine"]
        with engine.begin() as connection:
            connection.execute(text("UPDATE staff_user SET display_name = 'Changed after' "
                                    "WHERE id = (SELECT min(id) FROM staff_user)"))

    restored = f"{council.name}_restored"
    with council.admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{restored}" OWNER "{council.migrator}"'))
    back = subprocess.run(
        ["pg_restore", "--exit-on-error", "--dbname",
         council.url(council.migrator, restored, libpq=True), str(dump)],
        capture_output=True, text=True, timeout=120)
    assert back.returncode == 0, back.stderr
    assert _contents(council.url(council.migrator, restored)) == before
    assert _contents(council.url(council.migrator)) != before  # (the change after it)
