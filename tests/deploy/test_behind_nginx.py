"""The service behind nginx over HTTPS, as in production (deploy/nginx/, PROXY_COUNT=1).

A child and a member of staff in Chromium:

Everything the other browser tests do runs over plain HTTP on the development server. Over
HTTPS some things change: the cookies are ``__Host-`` and Secure, HSTS is sent, and
Flask-WTF also checks that a form was posted from a page of this site (its Referer), which
the page's Referrer-Policy must therefore allow. A child signs in, answers and is told the
answer is saved; a member of staff's wrong password is refused as a wrong password (not as
a stale form).

A stranger guessing codes: the app takes the address wrong codes come from from nginx,
which sets X-Forwarded-For itself, so a forged header does not buy more guesses.
"""

from __future__ import annotations

import http.client
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, TABLET
from tests.deploy.cluster import (
    ROOT,
    AppServer,
    Balancer,
    app_env,
    database,
    free_port,
    nginx_binary,
    seed_children,
    upgrade,
)

pytestmark = [
    pytest.mark.slow,
    # Skipped where nginx is missing, except under CI (which installs Debian's nginx).
    pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                       reason="nginx is not installed"),
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                       reason="Debian's chromium is not installed"),
]


@pytest.fixture()
def https_site(postgres_server_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(https address, a child's code) of one app server behind nginx with TLS."""
    with database(postgres_server_url) as db:
        upgrade(ROOT, db, tmp_path / "migrate")
        [(code, _band)] = seed_children(db, tmp_path / "seed", 1)
        server = AppServer("a", free_port(), tmp_path / "a.log")
        balancer = Balancer(tmp_path / "nginx", [server])
        base = f"https://127.0.0.1:{balancer.port}"
        # As shipped: 10 wrong codes from one address in 15 minutes, then a wait.
        settings = {**app_env(db, tmp_path / "instance", base),
                    "CODE_FAILURES_PER_CLIENT": "10"}
        try:
            server.start(settings, workers=1)
            balancer.start()
            yield base, code
        finally:
            balancer.stop()
            server.stop()


def test_a_child_and_staff_use_the_service_over_https(https_site: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, code = https_site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # The certificate is the test's own, made for 127.0.0.1.
            context = browser.new_context(viewport=TABLET, ignore_https_errors=True, locale="en-GB",
                                          service_workers="block")
            context.set_default_timeout(15_000)
            page = context.new_page()
            first = page.goto(base + "/")
            assert first is not None
            assert "max-age" in (first.headers.get("strict-transport-security") or "")
            page.fill("#code", code)
            page.locator("form[action='/'] button[type=submit]").click()
            expect(page).to_have_url(base + "/welcome")
            cookies = {cookie["name"]: cookie for cookie in context.cookies()}
            assert cookies["__Host-viewpoint"]["secure"]
            page.locator("form[action$='/start'] button[type=submit]").click()
            expect(page).to_have_url(re.compile(r"/questions/[a-z_]+$"))
            key = page.locator("fieldset[data-question]").first.get_attribute("data-question")
            page.locator(f"fieldset[data-question='{key}'] label").first.click()
            expect(page.locator(f'[data-save-state="{key}"]')).to_have_text("Saved")

            staff = browser.new_context(viewport=TABLET, ignore_https_errors=True,
                                         locale="en-GB").new_page()
            staff.goto(base + "/staff/signin")
            staff.fill("input[name=email]", "worker@cluster.invalid")
            staff.fill("input[name=password]", "not the password at all")
            staff.get_by_role("button", name="Sign in", exact=True).click()
            expect(staff.locator("body")).to_contain_text("do not match an account")
        finally:
            browser.close()


def test_a_forged_forwarded_address_buys_a_stranger_no_more_guesses(
        https_site: tuple[str, str]) -> None:
    base, _code = https_site
    port = int(base.rsplit(":", 1)[1])
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own
    statuses = []
    for guess in range(12):
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context,
                                                 timeout=30)
        connection.request("GET", "/")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = "; ".join(header.split(";", 1)[0]
                           for header in response.msg.get_all("Set-Cookie") or [])
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None
        # Each guess claims to come from somewhere else.
        connection.request("POST", "/", body=urlencode(
            {"code": f"WRONG{guess:04d}", "csrf_token": token[1]}), headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                "Referer": base + "/", "X-Forwarded-For": f"203.0.113.{guess + 1}"})
        answer = connection.getresponse()
        answer.read()
        statuses.append(answer.status)
        connection.close()
    # Ten wrong codes are told they are wrong; then the address (nginx's, not the forged
    # one) must wait.
    assert statuses[10:] == [429, 429], statuses
    assert 429 not in statuses[:10], statuses
