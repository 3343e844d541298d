"""The pieces the browser tests share: the live server's handle, seeding, browser contexts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.factories import make_child
from viewpoint.extensions import db
from viewpoint.i18n import available_languages
from viewpoint.models import PlanKind, Team, User
from viewpoint.operations.invitations import issue_invitation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic",
                 # A microphone that plays a tone, allowed without asking (the authors'
                 # recorder; every other page's Permissions-Policy forbids the microphone).
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
LOCAL_HOST = "127.0.0.1"

TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}

WORKER_NAME = "Sam Cobblestone"


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(LOCAL_HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
MANAGER_NAME = "Priya Hartley"

@dataclass(frozen=True)
class Invited:
    """A seeded child with a fresh code."""

    child_id: int
    first_name: str
    code: str
    review_due: date
    band: str


@dataclass
class LiveServer:
    url: str
    app: Flask
    team_id: int
    worker_id: int

    @contextmanager
    def database(self) -> Iterator[Session]:
        """A session for looking at what the server stored (nothing written back)."""
        with self.app.app_context():
            session = db.session()
            try:
                yield session
            finally:
                session.rollback()
                db.session.remove()

    def invite(self, first_name: str, age: int, *, plan_kind: PlanKind = PlanKind.CARE_PLAN,
               band: str | None = None, language: str = "en",
               questionnaire_id: str | None = None) -> Invited:
        """A new child of ``age`` on a plan of ``plan_kind`` with a review in two weeks,
        and a code for them (the band from their age unless ``band`` is given), opening in
        ``language``; to a shipped questionnaire for the plan, or to ``questionnaire_id``
        among those the council publishes."""
        due = date.today() + timedelta(days=14)
        catalogue = self.app.extensions["viewpoint.questionnaires"]
        with self.app.app_context(), db.writing() as session:
            child = make_child(session, age=age, kind=plan_kind, first_name=first_name,
                               team=session.get(Team, self.team_id),
                               worker=session.get(User, self.worker_id), review_in_days=14)
            if questionnaire_id is not None:
                catalogue = self.app.extensions["viewpoint.library"].catalogue(session)
            issued = issue_invitation(session, catalogue, child, band=band, language=language,
                                      offered_languages=available_languages(),
                                      questionnaire_id=questionnaire_id)
            child_id = child.id
            served_band = issued.invitation.band
        if served_band is None:
            questionnaire = catalogue.for_plan_kind(plan_kind.value)[0]
            served_band = questionnaire.band_for_age(age)
        return Invited(child_id, first_name, issued.code, due, served_band)


@dataclass
class Browsing:
    """Opens browser contexts that can only reach the live server, and notes every attempt
    to load anything from anywhere else."""

    browser: Any
    #: Requests that left for anywhere but the live server (refused).
    outside_requests: list[str] = field(default_factory=list)
    #: Loads the page's own Content-Security-Policy stopped before any request was made
    #: (an outside font or script would be stopped there, not by the route above).
    refused_by_policy: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def context(self, viewport: dict[str, int] | None = None, *, javascript: bool = True,
                touch: bool = True, init_script: str | None = None,
                service_workers: bool = False) -> Any:
        """A new browser context; ``service_workers``: the page may keep the questionnaire
        on the tablet to answer offline (off unless a test is about that)."""
        context = self.browser.new_context(
            viewport=viewport or TABLET, has_touch=touch, is_mobile=False,
            java_script_enabled=javascript, locale="en-GB",
            service_workers="allow" if service_workers else "block")
        context.set_default_timeout(10_000)
        context.route(_is_outside, self._refuse)
        context.on("console", self._note_policy)
        if init_script:
            context.add_init_script(init_script)
        self.contexts.append(context)
        return context

    def page(self, viewport: dict[str, int] | None = None, **options: Any) -> Any:
        return self.context(viewport, **options).new_page()

    def _refuse(self, route: Any) -> None:
        self.outside_requests.append(route.request.url)
        route.abort()

    def _note_policy(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.refused_by_policy.append(message.text)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _is_outside(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname != LOCAL_HOST
