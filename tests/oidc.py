"""A real OpenID Connect provider for the sign-in tests: oidc-provider (OpenID Certified,
from npm) run with node on a free 127.0.0.1 port; its development login page accepts any
login, which becomes the person's email. ``make test`` installs it into tests/oidc/."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.mailserver import free_port

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "viewpoint-tests"
CLIENT_SECRET = "a-client-secret-for-tests-only"  # noqa: S105


@dataclass(frozen=True)
class Provider:
    issuer: str


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed (make test runs npm ci in tests/oidc)"
    return None


@contextmanager
def identity_provider(app_base: str) -> Iterator[Provider]:
    """The provider on a free port, knowing viewpoint at ``app_base`` as its client."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        ["node", str(HERE / "provider.mjs"), str(port), CLIENT_ID, CLIENT_SECRET,
         f"{app_base}/staff/signin/council/done", f"{app_base}/staff/signin?ended=signed_out"],
        cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration",
                                timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the identity provider did not start")
        yield Provider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)
