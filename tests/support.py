"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from alembic import command

from viewpoint.config import Config, normalise_database_url
from viewpoint.extensions import create_database_engine
from viewpoint.migrations import alembic_config
from viewpoint.models import PlanKind


def make_config(database_url: str, instance: Path, **extra: object) -> Config:
    return Config(VIEWPOINT_ENV="test", DATABASE_URL=database_url, SECRET_KEY="t" * 48,
                  INSTANCE_PATH=str(instance), extra=dict(extra))


def migrate(url: str, revision: str = "head") -> None:
    engine = create_database_engine(normalise_database_url(url))
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()


def _find_pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str | None]:
    """Start a private PostgreSQL on a free loopback port; yield its URL (or None)."""
    initdb, pg_ctl = _find_pg_bin("initdb"), _find_pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="viewpoint-pg-"))
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = "postgres" if shutil.which("runuser") and _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
        base.chmod(0o700)
        run_as = ["runuser", "-u", user, "--"]
    port = _free_port()
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off")
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"),
                    "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


#: Every questionnaire in every band it offers: (id, plan kind, band, an age in the band).
QUESTIONNAIRE_CASES = [
    ("before-care-review", PlanKind.CARE_PLAN, "4-7", 6),
    ("before-care-review", PlanKind.CARE_PLAN, "8-11", 9),
    ("before-care-review", PlanKind.CARE_PLAN, "12-17", 14),
    ("before-cin-review", PlanKind.CHILD_IN_NEED, "4-7", 5),
    ("before-cin-review", PlanKind.CHILD_IN_NEED, "8-11", 10),
    ("before-cin-review", PlanKind.CHILD_IN_NEED, "12-17", 15),
    ("before-cp-review", PlanKind.CHILD_PROTECTION, "4-7", 7),
    ("before-cp-review", PlanKind.CHILD_PROTECTION, "8-11", 8),
    ("before-cp-review", PlanKind.CHILD_PROTECTION, "12-17", 13),
    ("before-pathway-review", PlanKind.PATHWAY_PLAN, "16-25", 19),
]
