"""A child and a member of staff in Chromium, through nginx over HTTPS, as in production
(deploy/nginx/, PROXY_COUNT=1; see tests/deploy/cluster.py).

Everything the other browser tests do runs over plain HTTP on the development server. Over
HTTPS some things change: the cookies are ``__Host-`` and Secure, HSTS is sent, and
Flask-WTF also checks that a form was posted from a page of this site (its Referer), which
the page's Referrer-Policy must therefore allow. A child signs in, answers and is told the
answer is saved; a member of staff's wrong password is refused as a wrong password (not as
a stale form). Skipped where nginx is missing, except under CI.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.harness import TABLET
from tests.deploy.cluster import nginx_binary, one_server_behind_nginx

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                       reason="nginx is not installed"),
]


@pytest.fixture()
def https_site(postgres_server_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with one_server_behind_nginx(postgres_server_url, tmp_path) as site:
        yield site


def test_a_child_and_staff_use_the_service_over_https(browser: Any,
                                                      https_site: tuple[str, str]) -> None:
    base, code = https_site
    opened: list[Any] = []
    try:
        # The certificate is the test's own, made for 127.0.0.1.
        context = browser.new_context(viewport=TABLET, ignore_https_errors=True, locale="en-GB",
                                      service_workers="block")
        opened.append(context)
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
        opened.append(staff.context)
        staff.goto(base + "/staff/signin")
        staff.fill("input[name=email]", "worker@cluster.invalid")
        staff.fill("input[name=password]", "not the password at all")
        staff.get_by_role("button", name="Sign in", exact=True).click()
        expect(staff.locator("body")).to_contain_text("do not match an account")
    finally:
        for context in opened:
            context.close()
