"""An administrator connects the council's case-management system in a real browser: the
form, the token shown once, the list, and sending its events to an address; in English and
Welsh at a phone's, a tablet's and a laptop's size, each page checked with axe and for
sideways scrolling. Screenshots go to test-artifacts/connected-systems/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import staffpages
from tests.browser.harness import PHONE, TABLET, Browsing, LiveServer
from tests.browser.test_browser_second_factor import password_step
from tests.factories import make_user
from tests.staff import give_password
from viewpoint.extensions import db
from viewpoint.models import Role

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "connected-systems"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", {"width": 1366, "height": 768}))


def look(page: Page, name: str, language: str, size: str) -> None:
    staffpages.look(page, SHOTS, name, language, size)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_an_administrator_connects_a_system_and_sends_its_events_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with live_server.app.app_context(), db.writing() as session:
        admin = make_user(session, Role.ADMINISTRATOR)
        give_password(admin, session)
        email = admin.email
    for size, viewport in SIZES:
        page = browsing.page(viewport)
        password_step(page, live_server.url, email, language)
        page.goto(f"{live_server.url}/admin/systems/new")
        look(page, "new-system", language, size)
        page.fill("#name", f"Mosaic sync {language} {size}")
        page.locator("input[name=scopes][value='children:write']").check()
        page.locator("input[name=scopes][value='responses:read']").check()
        page.locator("input[name=teams]").first.check()
        page.locator("main form button[type=submit]").click()
        token = page.locator("#token").inner_text()
        assert re.fullmatch(r"vpt_[\w-]{40,}", token)
        look(page, "token", language, size)
        page.goto(f"{live_server.url}/admin/systems")
        expect(page.locator("#systems")).to_contain_text(f"Mosaic sync {language} {size}")
        assert token not in page.content()
        look(page, "systems", language, size)
        row = page.locator("#systems tr", has_text=f"Mosaic sync {language} {size}")
        row.locator("a").first.click()
        page.fill("#url", "https://cms.council.example/viewpoint-events")
        page.locator("input[name=events][value='alert.raised']").check()
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#secret")).to_contain_text("whsec_")
        look(page, "webhook-key", language, size)
        page.locator("main .actions a.button").click()
        expect(page.locator("#webhooks")).to_contain_text("cms.council.example")
        look(page, "webhooks", language, size)
        page.context.close()
