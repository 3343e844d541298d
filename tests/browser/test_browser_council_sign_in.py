"""Staff sign in with the council's identity provider, in Chromium, against a real OpenID
Connect provider on 127.0.0.1 (oidc-provider from npm, run with node; tests/oidc.py): the
code flow with PKCE, a refused domain, an account made at first sign-in from the person's
groups, passwords switched off, and signing out of both.

Nothing is mocked: the browser follows the provider's own pages, viewpoint exchanges the
code at the provider's token endpoint and checks the ID token against its published keys.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.browser.harness import LOCAL_HOST, Browsing
from tests.mailserver import free_port
from tests.oidc import CLIENT_ID, CLIENT_SECRET, identity_provider
from tests.staff import token_from
from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import AuditEvent, Role, StaffSession, Team, User

SCREENS = Path("test-artifacts/screens/en/staff")
PROVIDER_FONT = "https://fonts.googleapis.com/"


@contextmanager
def council(tmp_path: Path, **settings: Any) -> Iterator[tuple[str, Any]]:
    """viewpoint on a known port with the provider running beside it, and its app."""
    port = free_port()
    base = f"http://{LOCAL_HOST}:{port}"
    with identity_provider(base) as provider:
        url = f"sqlite:///{tmp_path / 'viewpoint.sqlite3'}"
        migrate(url)
        # The settings as Config.from_env would read them from the environment.
        app = create_app(replace(
            make_config(url, tmp_path / "instance", WTF_CSRF_ENABLED=True),
            OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET, OIDC_ALLOWED_DOMAINS="council.example",
            **settings))
        with app.app_context(), db.writing() as session:
            team = Team(name="North")
            session.add_all([team, User(email="sam.worker@council.example",
                                        display_name="Sam Worker", role=Role.SOCIAL_WORKER,
                                        team=team)])
        server = make_server(LOCAL_HOST, port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, app
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            app.extensions["viewpoint.engine"].dispose()


def _through_the_provider(page: Any, login: str) -> None:
    """What a person does at the council's sign-in page (the provider's development login)."""
    page.get_by_role("link", name="Sign in with your council account").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    consent = page.locator("button", has_text="Continue")
    if consent.count():
        consent.click()


def _events(app: Any, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_worker_signs_in_with_the_council_account_and_signing_out_ends_both(  # type: ignore[no-untyped-def]
        browser, tmp_path) -> None:
    with council(tmp_path, SECOND_FACTOR_REQUIRED=True) as (base, app):
        browsing = Browsing(browser)
        page = browsing.page({"width": 1366, "height": 768})
        page.goto(f"{base}/staff/signin")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "signin-council-1366x768.png"), full_page=True)
        _through_the_provider(page, "sam.worker@council.example")
        page.wait_for_url(f"{base}/casework/**")
        assert "Sam Worker" in page.content()
        # The provider asked for its own second factor: no authenticator app in viewpoint.
        assert "/staff/second-factor" not in page.url
        signins = _events(app, "signin")
        assert [event.detail["second_factor"] for event in signins] == ["council"]
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Yes, sign me out").click()  # the provider's page
        page.wait_for_url(f"{base}/staff/signin?ended=signed_out")
        with app.app_context():
            assert db.session.scalar(select(StaffSession.ended_at)) is not None
        # The provider's session ended too: the next person is asked to log in again.
        page.get_by_role("link", name="Sign in with your council account").click()
        assert page.locator("input[name=login]").count() == 1
        browsing.close()
        assert not browsing.refused_by_policy
        # (The test provider's own development login page asks Google for a web font, which
        # the browser here refuses; viewpoint's pages ask nothing from outside.)
        assert {url for url in browsing.outside_requests
                if not url.startswith(PROVIDER_FONT)} == set()


def test_another_domain_and_an_unknown_person_are_refused(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with council(tmp_path) as (base, app):
        browsing = Browsing(browser)
        page = browsing.page({"width": 768, "height": 1024})
        page.goto(f"{base}/staff/signin")
        _through_the_provider(page, "someone@elsewhere.example")
        page.wait_for_url(f"{base}/staff/signin/council/done**")
        assert "Accounts of elsewhere.example cannot sign in to viewpoint." in page.content()
        page = browsing.page({"width": 768, "height": 1024})  # another person's browser
        page.goto(f"{base}/staff/signin")
        _through_the_provider(page, "new.person@council.example")
        assert "There is no viewpoint account for new.person@council.example" in page.content()
        page.goto(f"{base}/casework/")
        assert "/staff/signin" in page.url  # nobody was signed in
        reasons = [event.detail["reason"] for event in _events(app, "signin.failed")]
        assert reasons == ["domain_not_allowed", "no_account"]
        browsing.close()


def test_a_manager_is_made_an_account_from_the_directory_groups_and_passwords_are_off(  # type: ignore[no-untyped-def]
        browser, tmp_path) -> None:
    with council(tmp_path, OIDC_CREATE_ACCOUNTS=True, LOCAL_PASSWORDS=False,
                 OIDC_GROUP_ROLES="viewpoint-north-managers=team_manager@North") as (base, app):
        browsing = Browsing(browser)
        page = browsing.page({"width": 360, "height": 740})
        page.goto(f"{base}/staff/signin")
        assert page.locator("input[name=password]").count() == 0  # passwords are off
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "signin-council-only-360x740.png"), full_page=True)
        _through_the_provider(page, "robin.manager@council.example")
        page.wait_for_url(f"{base}/casework/**")
        with app.app_context():
            made = db.session.scalar(select(User).where(
                User.email == "robin.manager@council.example"))
            assert made.role is Role.TEAM_MANAGER and made.team.name == "North"
            assert made.password_hash is None
        # Someone in no group that uses viewpoint gets no account.
        context_page = browsing.page({"width": 360, "height": 740})
        context_page.goto(f"{base}/staff/signin")
        _through_the_provider(context_page, "visitor@council.example")
        assert "not in a group that uses viewpoint" in context_page.content()
        browsing.close()
    # A password posted anyway is refused.
    (tmp_path / "again").mkdir()
    with council(tmp_path / "again", LOCAL_PASSWORDS=False) as (base, app):
        client = app.test_client()
        token = token_from(client.get("/language").get_data(as_text=True))
        refused = client.post("/staff/signin", data={
            "email": "sam.worker@council.example", "password": "x", "csrf_token": token})
        assert refused.status_code == 403
        assert "Passwords are switched off here" in refused.get_data(as_text=True)


def test_passwords_cannot_be_switched_off_without_a_provider() -> None:
    from viewpoint.config import Config, UnsafeConfiguration

    with pytest.raises(UnsafeConfiguration, match="nobody could sign in"):
        Config(LOCAL_PASSWORDS=False).check_safe_for_production()
