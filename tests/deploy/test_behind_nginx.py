"""The service behind nginx over HTTPS, as in production (deploy/nginx/, PROXY_COUNT=1).
(A child and a member of staff in Chromium over HTTPS: tests/browser/test_browser_https.py.)

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

from tests.deploy.cluster import nginx_binary, one_server_behind_nginx

pytestmark = [
    pytest.mark.slow,
    # Skipped where nginx is missing, except under CI (which installs Debian's nginx).
    pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                       reason="nginx is not installed"),
]


@pytest.fixture()
def https_site(postgres_server_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with one_server_behind_nginx(postgres_server_url, tmp_path) as site:
        yield site


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
