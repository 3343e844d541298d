"""What a member of staff does on the pages, in words the tests can read like a story."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.childpages import assert_accessible
from tests.browser.harness import LiveServer
from tests.factories import make_child
from tests.staff import PASSWORD, give_password
from viewpoint.extensions import db
from viewpoint.models import PlanKind, Review, Team, User


@dataclass(frozen=True)
class Seeded:
    """A child on the test worker's caseload, with one upcoming review and no code yet."""

    child_id: int
    first_name: str
    last_name: str
    review_id: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def seed_child(live_server: LiveServer, first_name: str, age: int, *,
               plan_kind: PlanKind = PlanKind.CARE_PLAN) -> Seeded:
    """A new child of ``age`` allocated to the test worker, with a review in two weeks."""
    with live_server.app.app_context(), db.writing() as session:
        child = make_child(session, age=age, kind=plan_kind, first_name=first_name,
                           team=session.get(Team, live_server.team_id),
                           worker=session.get(User, live_server.worker_id), review_in_days=14)
        (plan,) = child.plans
        (review,) = plan.reviews
        assert isinstance(review, Review)
        return Seeded(child.id, child.first_name, child.last_name, review.id)


def worker_email(live_server: LiveServer) -> str:
    """The test worker's email, with the shared test password set on their account."""
    with live_server.app.app_context(), db.writing() as session:
        worker = session.get(User, live_server.worker_id)
        assert worker is not None
        give_password(worker, session)
        return worker.email


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and land on the caseload."""
    page.goto(base + "/staff/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/casework/")
    page.wait_for_load_state("load")


def nav_alert_count(page: Page) -> int:
    """The number beside "Alerts" in the navigation (0 when there is none)."""
    count = page.locator(".site-nav .count")
    return int(count.inner_text()) if count.count() else 0


def expect_nav_alert_count(page: Page, number: int) -> None:
    count = page.locator(".site-nav .count")
    if number:
        expect(count).to_have_text(str(number))
        expect(count).to_have_attribute("aria-label", f"{number} open")
    else:
        expect(count).to_have_count(0)


def download(page: Page, link: Any, folder: Path) -> tuple[str, bytes]:
    """Click ``link``, which must start a download; the suggested name and the file's bytes."""
    with page.expect_download() as started:
        link.click()
    downloaded = started.value
    assert downloaded.failure() is None, downloaded.failure()
    saved = folder / downloaded.suggested_filename
    downloaded.save_as(saved)
    return downloaded.suggested_filename, saved.read_bytes()


def squeeze(text: str) -> str:
    """Text with every run of whitespace made one space (PDF text breaks lines anywhere)."""
    return re.sub(r"\s+", " ", text).strip()


def look(page: Page, folder: Path, name: str, language: str, size: str) -> None:
    """A staff page seen as its people see it: in ``language``, saved to ``folder`` as a
    screenshot, with no sideways scroll at ``size`` and nothing axe finds."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.screenshot(path=str(folder / f"{name}-{language}-{size}.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert wide <= 1, f"{name} at {size}: the page scrolls sideways by {wide}px"
    assert_accessible(page, f"{name} in {language} at {size}")
