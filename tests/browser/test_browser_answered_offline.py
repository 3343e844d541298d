"""What a worker reads about answers that waited on an offline tablet: when the child
answered, and when it reached us, on the response page and on the alert; in English and
Welsh at a phone's, a tablet's and a laptop's size, checked with axe. Screenshots go to
test-artifacts/answered-offline/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.childpages import assert_accessible
from tests.browser.harness import LAPTOP, PHONE, TABLET, Browsing, LiveServer
from tests.browser.staffpages import sign_in, worker_email
from viewpoint.extensions import db
from viewpoint.models import Alert, Invitation
from viewpoint.operations import answers as services

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "answered-offline"
SIZES = (("360x740", PHONE), ("768x1024", TABLET), ("1366x768", LAPTOP))


def answered_offline(live_server: LiveServer) -> tuple[int, int]:
    """A child on the worker's caseload whose worrying answer waited three hours on a tablet
    with no connection; (response id, alert id)."""
    invited = live_server.invite("Tam", 13)
    catalogue = live_server.app.extensions["viewpoint.questionnaires"]
    with live_server.app.app_context(), db.writing() as session:
        invitation = session.scalar(select(Invitation).where(
            Invitation.child_id == invited.child_id))
        assert invitation is not None
        response = services.start_response(session, catalogue, invitation, "en")
        services.record_answer(session, catalogue, response, "safe_home", "sad",
                               save_id="offline-1", waited_for=timedelta(hours=3))
        alert = session.scalar(select(Alert).where(Alert.response_id == response.id))
        assert alert is not None and alert.given_at is not None
        return response.id, alert.id


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_worker_reads_when_an_answer_given_offline_was_given_and_received(
        live_server: LiveServer, browsing: Browsing, language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    response_id, alert_id = answered_offline(live_server)
    email = worker_email(live_server)
    for size, viewport in SIZES:
        page = browsing.page(viewport)
        sign_in(page, live_server.url, email)
        if language != "en":
            page.locator(f".language-switch button[value={language}]").click()
            expect(page.locator("html")).to_have_attribute("lang", language)
        for name, address, shown in (
                ("response", f"/casework/responses/{response_id}", "p.waited"),
                ("alert", f"/casework/alerts/{alert_id}", "#alert-facts .tag.waiting")):
            page.goto(live_server.url + address)
            expect(page.locator(shown).first).to_be_visible()
            if language == "en":
                expect(page.locator(shown).first).to_contain_text("ffline")
            wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wide <= 1, f"{name} at {size}: the page scrolls sideways by {wide}px"
            assert_accessible(page, f"the {name} page of an answer given offline, {language}")
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{size}.png"), full_page=True)
        page.context.close()
