"""Setting up an authenticator app and signing in with it, in a real browser: the QR code
and key, the recovery codes shown once, the code page; in English and Welsh at a phone's,
a tablet's and a laptop's size, each checked with axe. Screenshots go to
test-artifacts/second-factor/."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser import staffpages
from tests.browser.harness import LAPTOP, PHONE, TABLET, Browsing, LiveServer
from tests.factories import make_team, make_user
from tests.staff import PASSWORD, give_password
from viewpoint.extensions import db
from viewpoint.models import Role, User, utcnow

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "second-factor"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", LAPTOP))


def new_worker(live_server: LiveServer) -> tuple[int, str]:
    with live_server.app.app_context(), db.writing() as session:
        worker = make_user(session, Role.SOCIAL_WORKER, make_team(session))
        give_password(worker, session)
        return worker.id, worker.email


def look(page: Page, name: str, language: str, size: str) -> None:
    staffpages.look(page, SHOTS, name, language, size)


def password_step(page: Page, base: str, email: str, language: str) -> None:
    page.goto(base + "/staff/signin")
    if language != "en":
        page.locator(f".language-switch button[value={language}]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("language", ["en", "cy"])
def test_setting_up_an_app_and_signing_in_with_it_at_every_size(
        live_server: LiveServer, browsing: Browsing, monkeypatch: pytest.MonkeyPatch,
        language: str) -> None:
    monkeypatch.setitem(live_server.app.config, "SECOND_FACTOR_REQUIRED", True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES:
        worker_id, email = new_worker(live_server)
        page = browsing.page(viewport)
        password_step(page, live_server.url, email, language)
        # Required: the set-up page, whatever was asked for.
        expect(page).to_have_url(live_server.url + "/staff/second-factor")
        expect(page.locator(".qr svg")).to_be_visible()
        box = page.locator(".qr svg").bounding_box()
        assert box is not None and box["width"] >= 150, "a QR code a phone can read"
        page.locator("details summary").click()
        look(page, "set-up", language, size)
        secret = page.locator("#secret").inner_text().replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.locator("main form button[type=submit]").click()

        codes = page.locator("#recovery-codes code")
        expect(codes).to_have_count(10)
        look(page, "recovery-codes", language, size)
        page.locator("main .actions a.button").click()
        expect(page).to_have_url(live_server.url + "/casework/")

        with live_server.app.app_context():
            worker = db.session.get(User, worker_id)
            assert worker is not None and worker.has_second_factor
            db.session.remove()
        # Next time: the password, then the code page.
        page.context.clear_cookies()
        password_step(page, live_server.url, email, language)
        expect(page).to_have_url(live_server.url + "/staff/signin/code")
        look(page, "code", language, size)
        totp = pyotp.TOTP(secret)
        page.fill("#code", totp.generate_otp(totp.timecode(utcnow()) + 1))
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(live_server.url + "/casework/")
        page.context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_an_administrator_resets_a_lost_phone_at_every_size(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with live_server.app.app_context(), db.writing() as session:
        admin = make_user(session, Role.ADMINISTRATOR)
        give_password(admin, session)
        admin_email = admin.email
    for size, viewport in SIZES:
        worker_id, _email = new_worker(live_server)
        with live_server.app.app_context(), db.writing() as session:
            from viewpoint.auth import second_factor

            worker = session.get(User, worker_id)
            assert worker is not None
            secret = second_factor.new_secret()
            assert second_factor.enrol(session, worker, secret, pyotp.TOTP(secret).now())
        page = browsing.page(viewport)
        password_step(page, live_server.url, admin_email, language)
        page.goto(f"{live_server.url}/admin/users/{worker_id}")
        expect(page.locator("dl.summary .tag.good")).to_have_count(2)  # switched on; app set up
        look(page, "admin-person", language, size)
        page.locator(f"a[href='/admin/users/{worker_id}/second-factor']").click()
        look(page, "admin-reset", language, size)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/admin/users/{worker_id}")
        expect(page.locator(".notice[role=status]")).to_be_visible()
        expect(page.locator("dl.summary .tag.good")).to_have_count(1)  # only "Switched on"
        with live_server.app.app_context():
            worker = db.session.get(User, worker_id)
            assert worker is not None and not worker.has_second_factor
            db.session.remove()
        page.context.close()
