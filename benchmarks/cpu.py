"""CPU time per request: the question page and the autosave, in one process.

The load benchmarks (``answers``, ``render``) measure what a child waits for under many
children at once, which depends on everything else the machine is doing. This one counts
only the CPU time the app itself spends per request (Flask's test client, SQLite, one
process, ``time.process_time``), so that two versions of the code can be compared on a
shared machine: a change that makes a page do more work shows here whatever else is running.
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.web import questions_for, seed, server_env

#: Requests per sample, and samples (the median is reported).
REQUESTS = 300
SAMPLES = 5
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(r'data-token="([^"]+)"')


def _cpu_ms(request: Callable[[], None]) -> float:
    """Median CPU milliseconds per call of ``request`` over :data:`SAMPLES` samples."""
    for _ in range(50):  # warm caches: snapshots, templates, compiled statements
        request()
    samples = []
    for _ in range(SAMPLES):
        started = time.process_time()
        for _ in range(REQUESTS):
            request()
        samples.append((time.process_time() - started) / REQUESTS * 1000)
    return statistics.median(samples)


def bench_cpu(scratch: Path) -> list[list[str]]:
    """Rows for the table: CPU per question page and per autosave, ages 12-17."""
    from viewpoint import create_app
    from viewpoint.config import Config

    folder = scratch / "cpu"
    folder.mkdir()
    url = f"sqlite:///{folder / 'cpu.sqlite3'}"
    [(code, band)] = seed(url, folder, ["12-17"])
    client = create_app(Config.from_env(server_env(url, folder))).test_client()
    start = client.get("/").get_data(as_text=True)
    client.post("/", data={"code": code, "csrf_token": _CSRF.search(start).group(1)})
    welcome = client.get("/welcome").get_data(as_text=True)
    csrf = _CSRF.search(welcome).group(1)
    first = client.post("/start", data={"csrf_token": csrf}).headers["Location"]
    token = _TOKEN.search(client.get(first).get_data(as_text=True)).group(1)
    key = questions_for(band)[0].key

    def question_page() -> None:
        assert client.get(f"/questions/{key}").status_code == 200

    def answer_save() -> None:
        sent = client.post("/answers", headers={"X-CSRFToken": csrf}, json={
            "question": key, "value": "okay", "save_id": uuid.uuid4().hex, "token": token})
        assert sent.status_code == 200, sent.get_data(as_text=True)

    size = f"1 process, {SAMPLES} x {REQUESTS} requests"
    return [[f"CPU per question page (`GET /questions/{key}`)", "sqlite", size,
             f"{_cpu_ms(question_page):.2f} ms CPU", "-", "-",
             "Flask test client, median of the samples; for comparing versions"],
            ["CPU per answer save (`POST /answers`)", "sqlite", size,
             f"{_cpu_ms(answer_save):.2f} ms CPU", "-", "-",
             "Flask test client, each save a new one (a write)"]]
