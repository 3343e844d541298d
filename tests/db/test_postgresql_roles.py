"""The production database's two roles (``deploy/postgresql/roles.sql``): migrations run as
the role that owns the schema; the app runs as a role that reads and writes rows and can
change no table. The app, run as that role, does everything it does (the demo council is
built, answered and published through it) and every attempt to change the structure is
refused by PostgreSQL itself."""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests.support import make_config
from viewpoint import create_app
from viewpoint.cli import db_group
from viewpoint.config import normalise_database_url
from viewpoint.demo import demo_command

ROLES = Path(__file__).resolve().parents[2] / "deploy" / "postgresql" / "roles.sql"
_numbers = itertools.count()
#: Both roles' password here (a server that checks passwords, as CI's does, needs one).
PASSWORD = secrets.token_hex(16)


def _as(server: str, user: str, database: str) -> str:
    return make_url(normalise_database_url(server)).set(
        username=user, password=PASSWORD, database=database).render_as_string(
            hide_password=False)


def test_the_app_runs_as_a_role_that_can_change_no_table(postgres_server_url: str,
                                                         tmp_path: Path) -> None:
    suffix = f"{os.getpid()}_{next(_numbers)}"
    name, migrator, app_role = f"vp_roles_{suffix}", f"vp_migrate_{suffix}", f"vp_app_{suffix}"
    superuser = make_url(normalise_database_url(postgres_server_url))
    libpq = superuser.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = create_engine(superuser, isolation_level="AUTOCOMMIT")
    try:
        made = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"database={name}",
             "-v", f"migrator={migrator}", "-v", f"migrator_password={PASSWORD}",
             "-v", f"app={app_role}", "-v", f"app_password={PASSWORD}",
             "-d", libpq, "-f", str(ROLES)], capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr

        migrating = create_app(make_config(_as(postgres_server_url, migrator, name),
                                           tmp_path / "migrate"))
        upgraded = migrating.test_cli_runner().invoke(db_group, ["upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        migrating.extensions["viewpoint.engine"].dispose()

        app = create_app(make_config(_as(postgres_server_url, app_role, name), tmp_path / "app"))
        built = app.test_cli_runner().invoke(demo_command, ["--responses", "40"])
        assert built.exit_code == 0, built.output
        assert "admin@demo.viewpoint.test" in built.output
        ready = app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert ready.status_code == 200 and ready.get_json()["database"]["schema"] == "current"

        engine = app.extensions["viewpoint.engine"]
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
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (app_role, migrator):
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
