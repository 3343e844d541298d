"""The app installs from a wheel and serves the same pages, outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


def test_pip_install_then_demo_and_run_serve_the_app(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
                    str(REPO)], check=True, timeout=300)
    wheel = next(dist.glob("viewpoint-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, timeout=600)
    work = tmp_path / "elsewhere"  # not the checkout, so nothing can be found there by accident
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH", "QUESTIONNAIRE_DIR"}}
    env["PYTHONPATH"] = ""
    viewpoint = str(venv / "bin" / "viewpoint")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([viewpoint, *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)

    where = subprocess.run([venv / "bin" / "python", "-c",
                            "import viewpoint; print(viewpoint.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert str(venv) in where, where
    checked = run("questionnaires", "check")
    assert checked.returncode == 0 and "no problems" in checked.stdout, checked.stderr
    demo = run("demo", "--responses", "60")  # migrates the new database itself
    assert demo.returncode == 0, demo.stderr
    assert "admin@demo.viewpoint.test" in demo.stdout
    port = _free_port()
    server = subprocess.Popen([viewpoint, "run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=work, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 200 and b'"status":"ok"' in body.replace(b" ", b"")
        status, page = _get(f"http://127.0.0.1:{port}/staff/signin")
        assert status == 200 and b"staff.css" in page
        status, css = _get(f"http://127.0.0.1:{port}/static/css/staff.css")
        assert status == 200 and b"--ink" in css
    finally:
        server.terminate()
        server.wait(timeout=10)
    # The instance folder (database and generated secret) is made where the command ran.
    assert (work / "instance" / "viewpoint.sqlite3").exists()
    assert (work / "instance" / "secret_key").exists()
