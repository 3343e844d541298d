"""Real-browser tests of the child's side: a live server, a seeded council, Chromium.

The app runs for real (CSRF on, a migrated SQLite file) in a werkzeug server on a
loopback port, and the Debian Chromium drives it through Playwright. No browser is
ever downloaded: without /usr/bin/chromium these tests are skipped locally, and fail
under CI (where the environment variable ``CI`` is set).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MANAGER_NAME,
    WORKER_NAME,
    Browsing,
    LiveServer,
    serving,
)
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import Role, Team, User


def _seed_staff(app: Flask) -> tuple[int, int]:
    with app.app_context(), db.writing() as session:
        team = Team(name="Browser Test Children in Care Team")
        worker = User(email="sam.cobblestone@example.org", display_name=WORKER_NAME,
                      role=Role.SOCIAL_WORKER, team=team)
        manager = User(email="priya.hartley@example.org", display_name=MANAGER_NAME,
                       role=Role.TEAM_MANAGER, team=team)
        session.add_all([team, worker, manager])
        session.flush()
        return team.id, worker.id


@contextmanager
def new_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app (CSRF on) on a fresh migrated SQLite file, served on a loopback port."""
    directory = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{directory / 'viewpoint.sqlite3'}"
    migrate(url)
    # Saves go a moment after an answer (not the seconds a child's pace needs): tests
    # answer fast. tests/browser/test_browser_offline.py tries the default.
    app = create_app(make_config(url, directory / "instance", WTF_CSRF_ENABLED=True,
                                 ANSWER_BATCH_MS=300))
    team_id, worker_id = _seed_staff(app)
    with serving(app) as base:
        yield LiveServer(base, app, team_id, worker_id)
    app.extensions["viewpoint.engine"].dispose()


def own_live_server() -> Any:
    """A ``live_server`` for one module only (``live_server = own_live_server()`` in it): for
    a module that types many wrong codes, which would lock the shared server's one address."""

    @pytest.fixture(scope="module", name="live_server")
    def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
        with new_live_server(tmp_path_factory) as server:
            yield server

    return live


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The server most browser tests share. Wrong codes typed at it count against the one
    address every test comes from: a module that types many has a server of its own."""
    with new_live_server(tmp_path_factory) as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Saves go through a real server and an fsync'd SQLite commit: allow a slow CI machine.
    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def browsing(browser: Any) -> Iterator[Browsing]:
    opened = Browsing(browser)
    yield opened
    opened.close()
    assert not opened.outside_requests, (
        f"pages tried to load from outside the service: {opened.outside_requests}")
    assert not opened.refused_by_policy, (
        f"pages tried to load what the security policy forbids: {opened.refused_by_policy}")
