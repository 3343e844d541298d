"""Shared fixtures: an app per database, a database rolled back per test, fresh databases.

Every test that touches a database runs twice: on SQLite (the embedded default) and on
PostgreSQL (the production database). PostgreSQL comes from ``VIEWPOINT_TEST_POSTGRES_URL``
(CI sets it), or else from a throwaway cluster started with the machine's ``initdb``.
Without either, PostgreSQL tests are skipped locally with the reason, and fail under CI.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.config import normalise_database_url
from viewpoint.extensions import db

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
_counter = itertools.count()


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
def _throwaway_cluster() -> Iterator[str | None]:
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


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server where tests may create and drop databases."""
    configured = os.environ.get("VIEWPOINT_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with _throwaway_cluster() as url:
        if url is None:
            message = ("PostgreSQL not available: set VIEWPOINT_TEST_POSTGRES_URL or install "
                       "PostgreSQL (initdb, pg_ctl)")
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        yield url


class DatabaseFactory:
    """Creates empty databases of one backend and removes them afterwards."""

    def __init__(self, backend: str, directory: Path, server_url: str | None) -> None:
        self.backend = backend
        self.directory = directory
        self.server_url = server_url
        self.created: list[str] = []

    def new(self) -> str:
        number = next(_counter)
        if self.backend == "sqlite":
            url = f"sqlite:///{self.directory / f'test-{number}.sqlite3'}"
        else:
            assert self.server_url is not None
            name = f"viewpoint_test_{os.getpid()}_{number}"
            admin = create_engine(normalise_database_url(self.server_url),
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(normalise_database_url(self.server_url)).set(
                database=name).render_as_string(hide_password=False)
        self.created.append(url)
        return url

    def drop_all(self) -> None:
        if self.backend != "postgresql" or not self.server_url:
            return
        admin = create_engine(normalise_database_url(self.server_url),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for url in self.created:
                name = make_url(url).database
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    server = request.getfixturevalue("postgres_server_url") if backend == "postgresql" else None
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"), server)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app on a migrated database of the current backend (shared by the session)."""
    url = databases.new()
    migrate(url)
    application = create_app(make_config(url, tmp_path_factory.mktemp("instance")))
    yield application
    application.extensions["viewpoint.engine"].dispose()


@pytest.fixture()
def session(app):  # type: ignore[no-untyped-def]
    """The app's database session, inside a transaction rolled back after the test.

    Code under test may commit: commits end savepoints inside the outer transaction.
    """
    engine = app.extensions["viewpoint.engine"]
    connection = engine.connect()
    outer = connection.begin()
    db.session.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        yield db.session()
        db.session.remove()
    for option in ("bind", "join_transaction_mode"):
        db.session.session_factory.kw.pop(option, None)
    outer.rollback()
    connection.close()


@pytest.fixture()
def client(app, session):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture()
def fresh_database(databases: DatabaseFactory) -> str:
    """The URL of a new, empty database (nothing shared with other tests)."""
    return databases.new()
