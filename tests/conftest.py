"""Shared fixtures: an app per database, a database rolled back per test, fresh databases.

Every test that touches a database runs twice: on SQLite (the embedded default) and on
PostgreSQL (the production database). PostgreSQL comes from ``VIEWPOINT_TEST_POSTGRES_URL``
(CI sets it), or else from a throwaway cluster started with the machine's ``initdb``.
Without either, PostgreSQL tests are skipped locally with the reason, and fail under CI.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from tests.support import make_config, migrate, throwaway_cluster
from viewpoint import create_app
from viewpoint.config import normalise_database_url
from viewpoint.extensions import db

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server where tests may create and drop databases."""
    configured = os.environ.get("VIEWPOINT_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with throwaway_cluster() as url:
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


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``, as in production.

    Tests keep an app context open (for the rolled-back session), and Flask reuses an
    open app context for requests; without this, one request's ``g`` (the CSRF token,
    the locale) would leak into the next, even across clients.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if has_app_context():
            vars(g._get_current_object()).clear()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app on a migrated database of the current backend (shared by the session)."""
    url = databases.new()
    migrate(url)
    application = create_app(make_config(url, tmp_path_factory.mktemp("instance")))
    application.test_client_class = FreshRequestClient
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


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Say plainly which databases the database tests ran on (CI's log must show both)."""
    counts = {backend: {"passed": 0, "other": 0} for backend in BACKENDS}
    for outcome, reports in terminalreporter.stats.items():
        for report in reports:
            if getattr(report, "when", "call") != "call" and outcome != "skipped":
                continue
            for backend in BACKENDS:
                if f"[{backend}" in getattr(report, "nodeid", "") or \
                        f"-{backend}]" in getattr(report, "nodeid", ""):
                    counts[backend]["passed" if outcome == "passed" else "other"] += 1
    parts = [f"{backend}: {c['passed']} passed, {c['other']} not passed"
             for backend, c in counts.items()]
    terminalreporter.write_line("database tests by backend: " + "; ".join(parts))
