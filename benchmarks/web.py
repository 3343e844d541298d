"""The child's pages under load, served by gunicorn on SQLite.

One server (``benchmarks.floor_app``: the real app plus one bare insert route) runs on a
fresh, seeded SQLite database; children sign in with real codes the way a tablet does, and
then each benchmark drives that same server:

* answer save: POST /answers (the page's autosave) against POST /_bench/floor, one durable
  insert and nothing else, at the same concurrency;
* question page: GET /questions/<key> with each child's own session;
* page weight: the bytes a 4-7 child's tablet fetches for a question page with an empty
  cache (see ``weight.py``).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from benchmarks.load import HOST, LoadResult, Request, run_load
from viewpoint.questionnaires import Question

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SECRET_KEY = "bench-" + "k" * 42
QUESTIONNAIRE = "before-care-review"  # served for care_plan plans
BANDS = ("4-7", "12-17")
SAVE_TARGET = 0.5  # answer-save throughput at least half the floor's
RENDER_TARGET_MS = 30.0  # question page p95 under 16 concurrent clients


@dataclass(frozen=True)
class ServerOptions:
    """How gunicorn runs. On 2 cores, 3 sync workers gave the same throughput as gthread
    (2 workers × 2 threads, the best gthread shape) with much lower p95: a sync worker takes
    one request at a time from the shared queue, whereas a gthread worker keeps each
    keep-alive connection it accepted, and the two workers' shares were often 13 and 3."""

    worker_class: str = "sync"
    workers: int = 3
    threads: int = 2

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn gthread {self.workers}×{self.threads}"
        return f"gunicorn {self.worker_class} ×{self.workers}"


# --- the database ---

def server_env(url: str, instance: Path) -> dict[str, str]:
    """The settings the seeding code and the server share (codes are hashed with the key)."""
    return {
        "VIEWPOINT_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "INSTANCE_PATH": str(instance),
        "RESPONDENT_IDLE_MINUTES": "600",
        "CODE_ENTRIES_PER_HOUR": "100000",
        "CODE_FAILURES_PER_CLIENT": "100000",
        "LOG_LEVEL": "WARNING",
    }


def seed(url: str, instance: Path, bands: list[str]) -> list[tuple[str, str]]:
    """Seed children in care, one per entry of ``bands`` (aged 6 for 4-7, else 14), each
    invited to the benchmark's questionnaire in that band; returns (code, band) for each."""
    return seed_ages(url, instance, [6 if band == "4-7" else 14 for band in bands])


def seed_ages(url: str, instance: Path, ages: list[int]) -> list[tuple[str, str]]:
    """A team, a worker, a manager, and a child of each of ``ages`` with a code, the band
    following from the age as it does for a real child; returns (code, band) for each."""
    from tests.factories import make_child
    from tests.support import migrate
    from viewpoint import create_app
    from viewpoint.config import Config
    from viewpoint.extensions import db
    from viewpoint.models import Role, Team, User
    from viewpoint.operations.invitations import issue_invitation

    migrate(url)
    app = create_app(Config.from_env(server_env(url, instance)))
    catalogue = app.extensions["viewpoint.questionnaires"]
    questionnaire = catalogue.get(QUESTIONNAIRE)
    assert questionnaire is not None
    issued = []
    with app.app_context(), db.writing() as session:
        team = Team(name="Bench Children in Care Team")
        worker = User(email="worker@bench.invalid", display_name="Sam Worker",
                      role=Role.SOCIAL_WORKER, team=team)
        manager = User(email="manager@bench.invalid", display_name="Alex Manager",
                       role=Role.TEAM_MANAGER, team=team)
        session.add_all([team, worker, manager])
        for age in ages:
            band = questionnaire.band_for_age(age)
            child = make_child(session, age=age, team=team, worker=worker,
                               review_in_days=21, first_name="Robin")
            result = issue_invitation(session, catalogue, child, band=band, language="en",
                                      offered_languages=("en",))
            issued.append((result.code, band))
    app.extensions["viewpoint.engine"].dispose()
    return issued


@functools.cache
def questions_for(band: str) -> tuple[Question, ...]:
    """The questions of the benchmark's questionnaire asked in ``band``."""
    from viewpoint.questionnaires import load_definitions

    questionnaire = load_definitions(None, static_dir=ROOT / "static").get(QUESTIONNAIRE)
    assert questionnaire is not None
    return tuple(q for q in questionnaire.questions if band in q.bands)


# --- the server ---

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server(NamedTuple):
    port: int
    pid: int


@contextlib.contextmanager
def gunicorn(env: dict[str, str], options: ServerOptions, log: Path,
             app: str = "benchmarks.floor_app:app") -> Iterator[Server]:
    """Serve ``app`` on a free loopback port until the block ends."""
    port = _free_port()
    command = [GUNICORN, "--bind", f"{HOST}:{port}", "--chdir", str(ROOT),
               "--worker-class", options.worker_class, "--workers", str(options.workers),
               "--keep-alive", "30", "--log-level", "warning", "--graceful-timeout", "10"]
    if options.worker_class == "gthread":
        command += ["--threads", str(options.threads)]
    command.append(app)
    with log.open("ab") as output:
        process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log}:\n"
                                   + log.read_text()[-2000:])
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")
            time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- a child on a tablet ---

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(r'data-token="([^"]+)"')


@dataclass
class ChildSession:
    """One signed-in child: the session cookie, the page's CSRF token and response token."""

    band: str
    cookie: str = ""
    csrf: str = ""
    token: str = ""
    #: The question page the child was sent to after starting (their first page).
    page: str = ""
    questions: tuple[Question, ...] = ()

    def keep_cookie(self, headers: http.client.HTTPMessage) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "session":
                self.cookie = rest.split(";", 1)[0]

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": f"session={self.cookie}", **extra}


def _send(port: int, child: ChildSession, method: str, path: str,
          form: dict[str, str] | None = None) -> tuple[int, str, str]:
    """One request with the child's cookie; returns (status, Location, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = child.headers() if child.cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    child.keep_cookie(response.msg)
    connection.close()
    return response.status, response.getheader("Location") or "", text


def _expect(condition: bool, what: str, body: str = "") -> None:
    if not condition:
        raise RuntimeError(f"signing in failed at {what}: {body[:300]}")


def sign_in(port: int, code: str, band: str) -> ChildSession:
    """Type the code on the start page, press start, and read the first question page."""
    child = ChildSession(band=band, questions=questions_for(band))
    status, _, page = _send(port, child, "GET", "/")
    _expect(status == 200 and bool(_CSRF.search(page)), "GET /", page)
    status, location, page = _send(port, child, "POST", "/",
                                   {"code": code, "csrf_token": _CSRF.search(page)[1]})
    _expect(status == 302 and location.endswith("/welcome"), "POST /", page)
    status, _, page = _send(port, child, "GET", "/welcome")
    _expect(status == 200 and bool(_CSRF.search(page)), "GET /welcome", page)
    status, location, page = _send(port, child, "POST", "/start",
                                   {"csrf_token": _CSRF.search(page)[1]})
    _expect(status == 302 and "/questions/" in location, "POST /start", page)
    child.page = location[location.index("/questions/"):]
    status, _, page = _send(port, child, "GET", child.page)
    _expect(status == 200 and bool(_CSRF.search(page)) and bool(_TOKEN.search(page)),
            f"GET {child.page}", page)
    child.csrf = _CSRF.search(page)[1]
    child.token = _TOKEN.search(page)[1]
    return child


# --- the load each benchmark puts on the server ---

def _answers(question: Question) -> list[dict[str, Any]]:
    """Valid autosave payloads for ``question`` (value and declined), in a fixed order."""
    if question.type in ("faces", "yes_no", "choose_one"):
        values: list[Any] = [option.key for option in question.options]
    elif question.type == "choose_many":
        values = [[option.key] for option in question.options]
    elif question.type == "scale":
        assert question.scale is not None
        values = list(range(question.scale.minimum, question.scale.maximum + 1))
    else:
        values = ["It is fine most days.", "I would like to see my brother more."]
    payloads = [{"value": value, "declined": False} for value in values]
    if question.rather_not_say:
        payloads.append({"value": None, "declined": True})
    return payloads


class AnswerSaver:
    """A child answering: every request saves the next question with a new save id."""

    def __init__(self, child: ChildSession) -> None:
        self.child = child
        # Question after question (as a child goes through the pages), each time with the
        # next of that question's answers, so that every valid answer is sent in turn.
        answers = {question.key: _answers(question) for question in child.questions}
        rounds = max(len(payloads) for payloads in answers.values())
        self.cycle = itertools.cycle([(key, payloads[turn % len(payloads)])
                                      for turn in range(rounds)
                                      for key, payloads in answers.items()])

    def next_request(self, number: int) -> Request:
        key, payload = next(self.cycle)
        body = json.dumps({"question": key, **payload, "token": self.child.token,
                           "save_id": f"{number}-{secrets.token_urlsafe(9)}"}).encode()
        return Request("POST", "/answers", body, self.child.headers(
            **{"Content-Type": "application/json", "X-CSRFToken": self.child.csrf}))

    def check(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> str | None:
        self.child.keep_cookie(headers)
        if status != 200:
            return f"HTTP {status}"
        try:
            answer = json.loads(body)
        except ValueError:
            return "not JSON"
        return None if answer.get("status") == "saved" else f"status {answer.get('status')}"


class FloorWriter:
    """The bare route: one durable insert per request."""

    def next_request(self, number: int) -> Request:
        return Request("POST", "/_bench/floor", b'{"n": %d}' % number,
                       {"Content-Type": "application/json"})

    def check(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}"
        return None if b'"saved"' in body else "unexpected body"


class PageReader:
    """A child's tablet loading their question page."""

    def __init__(self, child: ChildSession) -> None:
        self.child = child

    def next_request(self, number: int) -> Request:
        return Request("GET", self.child.page, None, self.child.headers())

    def check(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> str | None:
        self.child.keep_cookie(headers)
        if status != 200:
            return f"HTTP {status}"
        return None if b"data-autosave" in body else "not a question page"


# --- the benchmarks ---

@dataclass
class WebSettings:
    server: ServerOptions
    clients: int = 16
    duration: float = 10.0
    warmup: float = 2.0
    profile: Path | None = None


class ServerLog:
    """The server's log, read a piece at a time: what went wrong during each load test."""

    _EXCEPTION = re.compile(r"^([\w.]+(?:Error|Exception)): (.*)$")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_errors(self) -> str:
        if not self.path.exists():
            return ""
        with self.path.open() as log:
            log.seek(self.offset)
            lines = log.read().splitlines()
            self.offset = log.tell()
        found: Counter[str] = Counter()
        for number, line in enumerate(lines):
            match = self._EXCEPTION.match(line)
            following = lines[number + 1:number + 3]
            # Of a chained traceback, count only the last exception (the one Flask logged).
            if match is None or any(later.startswith(("The above exception", "During handling"))
                                    for later in following):
                continue
            statement = next((later for later in following if later.startswith("[SQL:")), "")
            found[f"{match[1].rsplit('.', 1)[-1]}: {match[2][:80]} {statement[:60]}".strip()] += 1
        return "; ".join(f"{count}× {message}" for message, count in found.most_common(2))


def _verdict(met: bool, *results: LoadResult) -> str:
    verdict = "met" if met else "missed"
    if any(result.disturbed for result in results):
        verdict += " (other programs were busy: not a fair measurement)"
    return verdict


def _notes(server: ServerOptions, result: LoadResult, log: ServerLog) -> str:
    notes = f"{server.describe()}; {result.error_summary()} in {result.sent:,} requests"
    if result.cpu:
        notes += f"; {result.cpu}"
    errors = log.new_errors()
    return f"{notes}; server log: {errors}" if errors else notes


def bench_web(selected: set[str], settings: WebSettings, scratch: Path) -> list[list[str]]:
    """Seed, serve, sign the children in, then run the selected web benchmarks."""
    rows: list[list[str]] = []
    instance = scratch / "web-instance"
    url = f"sqlite:///{scratch / 'bench_web.sqlite3'}"
    env = server_env(url, instance)
    if settings.profile is not None:
        env["VIEWPOINT_BENCH_PROFILE"] = str(settings.profile)
    # One child per client, the bands taking turns, plus a fresh 4-7 child for the page weight.
    issued = seed(url, instance,
                  [BANDS[number % len(BANDS)] for number in range(settings.clients)] + ["4-7"])
    spare_code, spare_band = issued.pop()
    size = f"{settings.clients} clients, {settings.duration:g} s"
    log = ServerLog(scratch / "gunicorn.log")
    with gunicorn(env, settings.server, log.path) as server:
        port = server.port
        started = time.perf_counter()
        children = [sign_in(port, code, band) for code, band in issued]
        print(f"signed in {len(children)} children in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        log.new_errors()  # nothing went wrong signing in (it would have stopped), skip it
        if "answers" in selected:
            floor = run_load(port, [FloorWriter() for _ in children],
                             duration=settings.duration, warmup=settings.warmup,
                             server_pid=server.pid)
            rows.append(["floor: one durable insert (`POST /_bench/floor`)", "sqlite", size,
                         f"p50 {floor.ms(50)}, p95 {floor.ms(95)}", f"{floor.rate:,.0f} req/s",
                         "-", _notes(settings.server, floor, log)])
            print(" | ".join(rows[-1]), flush=True)
            saves = run_load(port, [AnswerSaver(child) for child in children],
                             duration=settings.duration, warmup=settings.warmup,
                             server_pid=server.pid)
            ratio = saves.rate / floor.rate if floor.rate else 0.0
            met = ratio >= SAVE_TARGET and saves.errors == 0
            rows.append(["answer save (`POST /answers`)", "sqlite", size,
                         f"p50 {saves.ms(50)}, p95 {saves.ms(95)}", f"{saves.rate:,.0f} req/s",
                         f"{ratio:.2f} of floor, target ≥ {SAVE_TARGET}: "
                         f"{_verdict(met, floor, saves)}",
                         _notes(settings.server, saves, log)])
            print(" | ".join(rows[-1]), flush=True)
        if "render" in selected:
            pages = run_load(port, [PageReader(child) for child in children],
                             duration=settings.duration, warmup=settings.warmup,
                             server_pid=server.pid)
            p95 = pages.percentile(95) * 1000
            met = p95 <= RENDER_TARGET_MS and pages.errors == 0
            bands = "; ".join(
                f"{band} ({children[indices[0]].page}): p50 {pages.ms(50, indices)}, "
                f"p95 {pages.ms(95, indices)}"
                for band in BANDS
                if (indices := [i for i, c in enumerate(children) if c.band == band]))
            rows.append(["question page (`GET /questions/<key>`)", "sqlite", size,
                         f"p50 {pages.ms(50)}, p95 {pages.ms(95)}, p99 {pages.ms(99)}",
                         f"{pages.rate:,.0f} req/s",
                         f"p95 ≤ {RENDER_TARGET_MS:g} ms: {_verdict(met, pages)}",
                         f"{_notes(settings.server, pages, log)}; by band: {bands}"])
            print(" | ".join(rows[-1]), flush=True)
        if "weight" in selected:
            from benchmarks.weight import bench_weight

            rows += bench_weight(port, sign_in(port, spare_code, spare_band))
    return rows
