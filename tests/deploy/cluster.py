"""A council's production set-up, on one machine: the deployment test and benchmark use it.

- **PostgreSQL**: a new database and its two roles, made by ``deploy/postgresql/roles.sql``;
  migrated by ``viewpoint db upgrade`` as the migrating role.
- **App servers**: gunicorn with ``deploy/gunicorn.conf.py``, each on its own loopback port,
  each a process group of its own (so that ``kill -9`` can take a whole server at once, as a
  machine that dies would), each running one build: this checkout, or a copy of it with one
  more migration (:func:`next_build`).
- **nginx**: ``deploy/nginx/viewpoint.conf`` and ``viewpoint-upstream.conf`` as the council
  installs them, with only the addresses, ports and certificate paths changed; TLS with a
  certificate made for 127.0.0.1.
- **Children**: each one a thread with its own TLS connection to nginx, signing in with a
  real code and then saving answer after answer as the question page's autosave does,
  retrying a save that failed with the same save id (as the page's script does) until it is
  saved.

Everything listens on 127.0.0.1 and is stopped when the test or benchmark ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from viewpoint.config import normalise_database_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
#: The questionnaire the children answer (served for care plans), in two bands.
QUESTIONNAIRE = "before-care-review"
SECRET_KEY = secrets.token_hex(32)


def nginx_binary() -> str | None:
    """nginx on this machine (Debian puts it in /usr/sbin), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- the database ------------------------------------------------------------------------

@dataclass
class Database:
    """A database and its two roles, made by roles.sql."""

    server: str
    name: str
    migrator: str
    app_role: str
    password: str

    def url(self, user: str, database: str | None = None, *, libpq: bool = False) -> str:
        url = make_url(normalise_database_url(self.server)).set(
            username=user, password=self.password, database=database or self.name)
        if libpq:
            url = url.set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def admin(self) -> Any:
        return create_engine(normalise_database_url(self.server), isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def database(server: str) -> Iterator[Database]:
    """A new database made by roles.sql on ``server`` (a superuser's URL); removed after."""
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    made = Database(server, f"vp_cluster_{suffix}", f"vp_cluster_migrate_{suffix}",
                    f"vp_cluster_app_{suffix}", secrets.token_hex(16))
    libpq = make_url(normalise_database_url(server)).set(
        drivername="postgresql").render_as_string(hide_password=False)
    admin = made.admin()
    try:
        run = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"database={made.name}",
             "-v", f"migrator={made.migrator}", "-v", f"migrator_password={made.password}",
             "-v", f"app={made.app_role}", "-v", f"app_password={made.password}",
             "-d", libpq, "-f", str(DEPLOY / "postgresql" / "roles.sql")],
            capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            raise RuntimeError(f"roles.sql failed: {run.stderr}")
        yield made
    finally:
        with admin.connect() as connection:
            names = connection.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE :like"),
                {"like": f"{made.name}%"}).scalars().all()
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in (made.app_role, made.migrator):
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def app_env(db: Database, instance: Path, public_url: str) -> dict[str, str]:
    """The settings every app server shares: production, as a council runs it."""
    return {
        "VIEWPOINT_ENV": "production",
        "DATABASE_URL": db.url(db.app_role),
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_URL": public_url,
        "PROXY_COUNT": "1",
        "INSTANCE_PATH": str(instance),
        "LOG_LEVEL": "WARNING",
        # Every simulated child comes from 127.0.0.1; real children come from many
        # addresses, each with its own allowance of codes an hour.
        "CODE_ENTRIES_PER_HOUR": "100000",
        "CODE_FAILURES_PER_CLIENT": "100000",
        "RESPONDENT_IDLE_MINUTES": "600",
    }


def upgrade(build: Path, db: Database, instance: Path) -> str:
    """``viewpoint db upgrade`` from ``build``, as the migrating role; returns its output."""
    env = {**os.environ, "PYTHONPATH": str(build), "VIEWPOINT_ENV": "development",
           "DATABASE_URL": db.url(db.migrator), "SECRET_KEY": SECRET_KEY,
           "INSTANCE_PATH": str(instance)}
    done = subprocess.run([str(BIN / "viewpoint"), "db", "upgrade"], cwd=build, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed_children(db: Database, instance: Path, count: int) -> list[tuple[str, str]]:
    """A team, a worker and ``count`` children in care (half 6, half 14), each invited to
    the questionnaire with a code; returns (code, band) for each. Run as the app's role,
    as the council's staff would do it through the app."""
    from tests.factories import make_child
    from viewpoint import create_app
    from viewpoint.config import Config
    from viewpoint.extensions import db as database_
    from viewpoint.models import Role, Team, User
    from viewpoint.operations.invitations import issue_invitation

    settings = {**app_env(db, instance, "https://127.0.0.1"), "VIEWPOINT_ENV": "development"}
    app = create_app(Config.from_env(settings))
    catalogue = app.extensions["viewpoint.questionnaires"]
    questionnaire = catalogue.get(QUESTIONNAIRE)
    assert questionnaire is not None
    issued = []
    with app.app_context(), database_.writing() as session:
        team = Team(name="Children in Care Team")
        worker = User(email="worker@cluster.invalid", display_name="Sam Worker",
                      role=Role.SOCIAL_WORKER, team=team)
        session.add_all([team, worker])
        for number in range(count):
            age = 6 if number % 2 == 0 else 14
            child = make_child(session, age=age, team=team, worker=worker,
                               review_in_days=21, first_name="Robin")
            band = questionnaire.band_for_age(age)
            result = issue_invitation(session, catalogue, child, band=band, language="en",
                                      offered_languages=("en",))
            issued.append((result.code, band))
    app.extensions["viewpoint.engine"].dispose()
    return issued


# --- builds ------------------------------------------------------------------------------

#: The migration the next build brings: expand only (a new table and a new nullable
#: column), so that this build's servers run on the migrated database unchanged.
NEXT_MIGRATION = '''"""the next build's expand step: where a tablet says an answer came from

Revision ID: {revision}
Revises: {down}
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answer", sa.Column("came_from", sa.String(length=32), nullable=True))
    op.create_table(
        "answer_origin_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("note", sa.String(length=200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_origin_note")
    op.drop_column("answer", "came_from")
'''


def head_revision(build: Path = ROOT) -> str:
    versions = sorted((build / "viewpoint" / "migrations" / "versions").glob("[0-9]*.py"))
    found = re.search(r'^revision = "([^"]+)"', versions[-1].read_text(), re.MULTILINE)
    assert found is not None
    return found[1]


def next_build(into: Path) -> tuple[Path, str]:
    """A copy of this build with one more (expand-only) migration and its own version;
    returns its folder and the new revision. Templates, static files and translations are
    shared (linked), as they are unchanged."""
    into.mkdir(parents=True)
    shutil.copytree(ROOT / "viewpoint", into / "viewpoint",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for shared in ("templates", "static", "translations", "deploy"):
        (into / shared).symlink_to(ROOT / shared)
    down = head_revision()
    revision = f"{int(down) + 1:04d}" if down.isdigit() else f"{down}_next"
    (into / "viewpoint" / "migrations" / "versions" / f"{revision}_next_build.py").write_text(
        NEXT_MIGRATION.format(revision=revision, down=down))
    return into, revision


# --- app servers -------------------------------------------------------------------------

@dataclass
class AppServer:
    """One app server: gunicorn with deploy/gunicorn.conf.py on its own port."""

    name: str
    port: int
    log: Path
    build: Path = ROOT
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str], build: Path | None = None, *,
              workers: int = 2, wait: float = 90.0) -> None:
        self.build = build or self.build
        settings = {**os.environ, **env, "PYTHONPATH": str(self.build),
                    "VIEWPOINT_BIND": f"{HOST}:{self.port}", "VIEWPOINT_WORKERS": str(workers)}
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config",
                 str(self.build / "deploy" / "gunicorn.conf.py")],
                cwd=self.build, env=settings, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + wait
        while self.ready() is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n"
                                   + self.log.read_text()[-3000:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready within {wait:g} s:\n"
                                   + self.log.read_text()[-3000:])
            time.sleep(0.2)

    def ready(self) -> dict[str, Any] | None:
        """/healthz asked directly (as nginx's host would): its JSON when 200, else None."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        return json.loads(body) if response.status == 200 else None

    def kill(self) -> None:
        """``kill -9`` the whole server (gunicorn and its workers), as a machine dying."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, as systemd stops it: requests already taken are finished."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- nginx -------------------------------------------------------------------------------

def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the tablets' trust is given it directly)."""
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True, timeout=60)
    return certificate, key


class Balancer:
    """nginx with the council's site and upstream files, changed only where they name
    addresses, ports and files."""

    def __init__(self, folder: Path, servers: list[AppServer]) -> None:
        self.folder = folder
        self.servers = servers
        self.port = free_port()
        self.http_port = free_port()
        self.down: set[str] = set()
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.certificate, key = make_certificate(folder)
        site = (DEPLOY / "nginx" / "viewpoint.conf").read_text()
        changes = [
            ("include /etc/nginx/conf.d/viewpoint-upstream.conf;",
             f"include {folder / 'upstream.conf'};"),
            ("    listen 80;\n", f"    listen {HOST}:{self.http_port};\n"),
            ("    listen [::]:80;\n", ""),
            ("    listen 443 ssl http2;\n", f"    listen {HOST}:{self.port} ssl http2;\n"),
            ("    listen [::]:443 ssl http2;\n", ""),
            ("/etc/ssl/viewpoint/fullchain.pem", str(self.certificate)),
            ("/etc/ssl/viewpoint/privkey.pem", str(key)),
        ]
        for before, after in changes:
            if before not in site:
                raise AssertionError(f"deploy/nginx/viewpoint.conf no longer has {before!r}")
            site = site.replace(before, after)
        (folder / "site.conf").write_text(site)
        self._write_upstream()
        temp = folder / "temp"
        temp.mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  client_body_temp_path {temp / 'body'};\n  proxy_temp_path {temp / 'proxy'};\n"
            f"  fastcgi_temp_path {temp / 'fastcgi'};\n  uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"  scgi_temp_path {temp / 'scgi'};\n"
            f"  include {folder / 'site.conf'};\n"
            "}\n")

    def _write_upstream(self) -> None:
        upstream = (DEPLOY / "nginx" / "viewpoint-upstream.conf").read_text()
        lines = re.findall(r"^    server \S+ (.*);$", upstream, re.MULTILINE)
        if not lines:
            raise AssertionError("deploy/nginx/viewpoint-upstream.conf names no server")
        options = lines[0]
        servers = "".join(
            f"    server {HOST}:{server.port} {options}"
            f"{' down' if server.name in self.down else ''};\n" for server in self.servers)
        upstream = re.sub(r"(^    server .*;\n)+", servers, upstream, flags=re.MULTILINE)
        (self.folder / "upstream.conf").write_text(upstream)

    def _nginx(self, *arguments: str) -> list[str]:
        binary = nginx_binary()
        assert binary is not None
        return [binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                *arguments]

    def start(self) -> None:
        checked = subprocess.run(self._nginx("-t"), capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t: {checked.stderr}")
        self.process = subprocess.Popen(self._nginx(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: "
                                   + (self.folder / "error.log").read_text()[-2000:])
            time.sleep(0.1)

    def set_down(self, name: str, down: bool) -> None:
        """Take a server out of the balancer (or put it back), as the rolling upgrade in
        docs/deploy.md does: change its line, reload nginx, and wait until its old workers
        (which still send to the server) have finished the requests they had, so that the
        server taken out has none left."""
        (self.down.add if down else self.down.discard)(name)
        self._write_upstream()
        before = set(self._workers())
        reloaded = subprocess.run(self._nginx("-s", "reload"), capture_output=True,
                                  text=True, timeout=30)
        if reloaded.returncode != 0:
            raise RuntimeError(f"nginx -s reload: {reloaded.stderr}")
        deadline = time.monotonic() + 90
        while set(self._workers()) & before:
            if time.monotonic() > deadline:
                raise RuntimeError("nginx's old workers did not finish within 90 s")
            time.sleep(0.1)

    def _workers(self) -> list[int]:
        """The nginx worker processes (old ones included) under this balancer's master."""
        assert self.process is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError):
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(status[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate))
        return context


# --- children ----------------------------------------------------------------------------

_CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, ssl.SSLEOFError, ConnectionResetError,
                      BrokenPipeError)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TOKEN = re.compile(r'data-token="([^"]+)"')


@dataclass
class Saved:
    """One answer a child's tablet was told was saved."""

    question: str
    value: Any
    declined: bool
    save_id: str
    acked_at: float


@dataclass
class Failure:
    at: float
    kind: str
    what: str


class Child:
    """One child on a tablet, talking to nginx over TLS."""

    def __init__(self, port: int, context: ssl.SSLContext, code: str, band: str,
                 questions: list[tuple[str, list[dict[str, Any]]]]) -> None:
        self.port, self.context = port, context
        self.code, self.band = code, band
        self.questions = questions
        #: Cookies the service set (in production the session's is ``__Host-viewpoint``).
        self.cookies: dict[str, str] = {}
        self.csrf = self.token = ""
        #: The page the tablet is on: its browser sends it as the Referer of what it posts
        #: (same-origin), which over HTTPS is part of the CSRF check.
        self.page = "/"
        self.connection: http.client.HTTPSConnection | None = None
        self.saved: list[Saved] = []
        self.failures: list[Failure] = []
        self.requests = 0
        #: Requests sent again at once because a kept-alive connection had been closed
        #: (by nginx reloading) before they reached it: browsers do the same, unseen.
        self.resent = 0
        self._reused = False
        #: Each attempt to save: (when it began on the monotonic clock, seconds, saved).
        self.timings: list[tuple[float, float, bool]] = []

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        sent = {"Referer": f"https://{HOST}:{self.port}{self.page}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        while True:
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(HOST, self.port, timeout=30,
                                                              context=self.context)
                self._reused = False
            self.requests += 1
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.connection.close()
                self.connection = None
                # A kept-alive connection the server closed while idle, before this request
                # reached it (no byte of an answer came back): sent again on a new one, as
                # browsers do. Anything else is a failure the page sees.
                if self._reused and isinstance(exc, _CLOSED_WHILE_IDLE):
                    self.resent += 1
                    continue
                raise
            self._reused = True
            break
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", data

    def _form(self, path: str, form: dict[str, str]) -> tuple[int, str, bytes]:
        return self._request("POST", path, urlencode(form).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self) -> None:
        """Type the code, press start, open the first question (as ``benchmarks.web``)."""
        status, _, page = self._request("GET", "/")
        csrf = _CSRF.search(page.decode())
        assert status == 200 and csrf, f"GET / gave {status}"
        status, location, page = self._form("/", {"code": self.code, "csrf_token": csrf[1]})
        assert status == 302 and location.endswith("/welcome"), \
            f"POST / gave {status} to {location}: {page[:300]!r}"
        self.page = "/welcome"
        status, _, page = self._request("GET", "/welcome")
        csrf = _CSRF.search(page.decode())
        assert status == 200 and csrf, f"GET /welcome gave {status}"
        status, location, page = self._form("/start", {"csrf_token": csrf[1]})
        assert status == 302 and "/questions/" in location, f"POST /start gave {status}"
        self.page = location[location.index("/questions/"):]
        status, _, page = self._request("GET", self.page)
        found_csrf, found_token = _CSRF.search(page.decode()), _TOKEN.search(page.decode())
        assert status == 200 and found_csrf and found_token, f"question page gave {status}"
        self.csrf, self.token = found_csrf[1], found_token[1]

    def save(self, question: str, payload: dict[str, Any], stop_at: float) -> bool:
        """Save one answer, as the page's autosave does: again and again with the same save
        id until the server says it is saved (or ``stop_at`` passes)."""
        save_id = secrets.token_urlsafe(12)
        body = json.dumps({"question": question, **payload, "token": self.token,
                           "save_id": save_id}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf}
        while time.monotonic() < stop_at:
            began = time.monotonic()
            try:
                status, _, data = self._request("POST", "/answers", body, headers)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(Failure(time.monotonic(), type(exc).__name__, question))
            else:
                answer: dict[str, Any] = {}
                with contextlib.suppress(ValueError):
                    answer = json.loads(data)
                if status == 200 and answer.get("status") == "saved":
                    self.saved.append(Saved(question, payload["value"], payload["declined"],
                                            save_id, time.monotonic()))
                    self.timings.append((began, time.monotonic() - began, True))
                    return True
                self.failures.append(Failure(time.monotonic(), f"HTTP {status} "
                                             f"{answer.get('status', '')}".strip(), question))
            self.timings.append((began, time.monotonic() - began, False))
            time.sleep(0.3)  # the page waits a little before trying again
        return False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def answers_for(band: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each question of the band with the valid payloads the autosave may send."""
    from benchmarks.web import _answers, questions_for

    return [(question.key, _answers(question)) for question in questions_for(band)]


@dataclass
class Crowd:
    """Children answering at once, each going through their questions again and again
    (changing their answers, as children do) with ``pause`` seconds between saves."""

    children: list[Child]
    pause: float = 1.0
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def sign_in_all(self, parallel: int = 10) -> None:
        pending = list(self.children)
        lock = threading.Lock()
        problems: list[BaseException] = []

        def work() -> None:
            while True:
                with lock:
                    if not pending or problems:
                        return
                    child = pending.pop()
                try:
                    child.sign_in()
                except Exception as exc:  # handed to the test's thread, below
                    problems.append(exc)

        workers = [threading.Thread(target=work) for _ in range(parallel)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if problems:
            raise problems[0]

    def _answer(self, child: Child, seed: int) -> None:
        chooser = random.Random(seed)
        time.sleep(chooser.uniform(0, self.pause))  # not all at the same instant
        turn = 0
        while not self.stopping.is_set():
            question, payloads = child.questions[turn % len(child.questions)]
            payload = payloads[chooser.randrange(len(payloads))]
            # A save under way is finished even after the stop (its tablet keeps trying).
            child.save(question, payload, time.monotonic() + 120)
            turn += 1
            self.stopping.wait(chooser.uniform(0.5, 1.5) * self.pause)

    def start(self) -> None:
        for number, child in enumerate(self.children):
            thread = threading.Thread(target=self._answer, args=(child, number),
                                      name=f"child-{number}", daemon=True)
            self.threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=180)
        for child in self.children:
            child.close()

    def failures(self) -> list[Failure]:
        return sorted((f for child in self.children for f in child.failures),
                      key=lambda failure: failure.at)

    def saves(self) -> int:
        return sum(len(child.saved) for child in self.children)

    def requests(self) -> int:
        return sum(child.requests for child in self.children)

    def resent(self) -> int:
        return sum(child.resent for child in self.children)


def answers_by_save_id(url: str) -> dict[str, tuple[int, str, Any]]:
    """Every answer stored in the database at ``url`` (the migrating role's), by the save id
    of the save that last wrote it: (response, question, the value the child gave)."""
    from viewpoint.models.response import stored_value

    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT response_id, question_key, value, declined, client_save_id "
                "FROM answer")).all()
    finally:
        engine.dispose()
    return {row[4]: (row[0], row[1], stored_value(row[2], row[3])) for row in rows}


@contextlib.contextmanager
def one_server_behind_nginx(server_url: str, folder: Path,
                            workers: int = 1) -> Iterator[tuple[str, str]]:
    """(https address, a child's code) of one app server behind nginx with TLS, on a new
    database made by roles.sql; stopped and removed after."""
    with database(server_url) as db:
        upgrade(ROOT, db, folder / "migrate")
        [(code, _band)] = seed_children(db, folder / "seed", 1)
        server = AppServer("a", free_port(), folder / "a.log")
        balancer = Balancer(folder / "nginx", [server])
        base = f"https://{HOST}:{balancer.port}"
        # As shipped: 10 wrong codes from one address in 15 minutes, then a wait.
        settings = {**app_env(db, folder / "instance", base), "CODE_FAILURES_PER_CLIENT": "10"}
        try:
            server.start(settings, workers=workers)
            balancer.start()
            yield base, code
        finally:
            balancer.stop()
            server.stop()


# --- the rehearsal: a crash, last night's backup, a rolling upgrade ------------------------

@dataclass
class Rehearsal:
    """What happened when, on the monotonic clock, and the children who lived through it."""

    crowd: Crowd
    servers: list[AppServer]
    started: float = 0.0
    killed_at: float = 0.0
    backup_started: float = 0.0
    backup_finished: float = 0.0
    dump: Path | None = None
    upgrade_started: float = 0.0
    upgrade_finished: float = 0.0
    finished: float = 0.0
    build: Path | None = None
    revision: str = ""
    #: The revision each server's build migrates to, and where the database stands for it
    #: ("current"), as its /healthz said once upgraded.
    revisions_seen: dict[str, str] = field(default_factory=dict)

    def timings(self, start: float, end: float) -> list[tuple[float, float, bool]]:
        """Save attempts that began between ``start`` and ``end``."""
        return [timing for child in self.crowd.children for timing in child.timings
                if start <= timing[0] < end]

    def failures(self, start: float, end: float) -> list[Failure]:
        return [failure for failure in self.crowd.failures() if start <= failure.at < end]


def rehearse(db: Database, folder: Path, children: int, *, pause: float,
             notice: float, steady: float) -> Rehearsal:
    """Two app servers behind nginx on a migrated database with ``children`` children, each
    saving an answer every ``pause`` seconds or so, throughout:

    1. ``steady`` seconds of answering, then one server is killed (``kill -9``, its whole
       process group) and started again 4 s later, as systemd's Restart=always would;
       ``notice`` seconds are left for the balancer to take it back;
    2. last night's backup (deploy/postgresql/backup.sh) is taken;
    3. the rolling upgrade of docs/deploy.md: the next build's migration (expand only) while
       the old build serves, then each server in turn out of the balancer, stopped
       (SIGTERM: it finishes what it has), started on the new build, ready on /healthz,
       and back in;
    4. ``steady`` seconds more, then the children stop.
    """
    upgrade(ROOT, db, folder / "migrate")
    codes = seed_children(db, folder / "seed", children)
    servers = [AppServer("a", free_port(), folder / "a.log"),
               AppServer("b", free_port(), folder / "b.log")]
    balancer = Balancer(folder / "nginx", servers)
    env = app_env(db, folder / "instance", f"https://{HOST}:{balancer.port}")
    questions = {band: answers_for(band) for _, band in codes}
    crowd = Crowd([Child(balancer.port, balancer.tls(), code, band, questions[band])
                   for code, band in codes], pause=pause)
    run = Rehearsal(crowd, servers)
    try:
        for server in servers:
            server.start(env)
        balancer.start()
        crowd.sign_in_all()
        run.started = time.monotonic()
        crowd.start()
        time.sleep(steady)

        run.killed_at = time.monotonic()
        servers[0].kill()
        time.sleep(4.0)
        servers[0].start(env)
        time.sleep(max(0.0, run.killed_at + notice - time.monotonic()))

        run.backup_started = time.monotonic()
        backed_up = subprocess.run(
            [str(DEPLOY / "postgresql" / "backup.sh")], capture_output=True, text=True,
            timeout=600, env={**os.environ, "DATABASE_URL": db.url(db.migrator, libpq=True),
                              "BACKUP_DIR": str(folder / "backups")})
        run.backup_finished = time.monotonic()
        if backed_up.returncode != 0:
            raise RuntimeError(f"backup.sh failed: {backed_up.stderr}")
        run.dump = Path(backed_up.stdout.strip())

        run.build, run.revision = next_build(folder / "next")
        run.upgrade_started = time.monotonic()
        upgrade(run.build, db, folder / "migrate")
        for server in servers:
            if server.ready() is None:
                raise RuntimeError(f"{server.name} (the old build) is not ready on the "
                                   "expanded schema")
        for server in servers:
            balancer.set_down(server.name, True)
            server.stop()
            server.start(env, run.build)
            found = (server.ready() or {}).get("database", {})
            run.revisions_seen[server.name] = \
                f"{found.get('expected_revision')} ({found.get('schema')})"
            balancer.set_down(server.name, False)
        run.upgrade_finished = time.monotonic()
        time.sleep(steady)
    finally:
        crowd.stop()
        run.finished = time.monotonic()
        balancer.stop()
        for server in servers:
            server.stop()
    return run


def _by_question(child: Child) -> dict[str, list[Saved]]:
    found: dict[str, list[Saved]] = {}
    for saved in child.saved:
        found.setdefault(saved.question, []).append(saved)
    return found


def lost_or_doubled(children: list[Child], stored: dict[str, Any]) -> list[str]:
    """What is wrong with the stored answers (nothing, when all is well): each question a
    child answered must hold the last answer the child was told was saved, each child's
    answers must be in one response of their own, and no other answer may be stored."""
    problems = []
    expected = 0
    responses = []
    for child in children:
        mine = set()
        for question, saves in _by_question(child).items():
            expected += 1
            last = saves[-1]
            found = stored.get(last.save_id)
            if found is None:
                problems.append(f"lost: {child.code} {question}")
                continue
            response, stored_question, value = found
            mine.add(response)
            if stored_question != question or value != (None if last.declined else last.value):
                problems.append(f"wrong: {child.code} {question}: {value!r}, not {last.value!r}")
        if len(mine) > 1:
            problems.append(f"in {len(mine)} responses: {child.code}")
        responses.extend(mine)
    if len(set(responses)) != len(responses):
        problems.append("two children's answers in one response")
    if len(stored) != expected:
        problems.append(f"{len(stored) - expected} answers stored that no child was told "
                        "were saved")
    return problems


def not_as_backed_up(children: list[Child], restored: dict[str, Any], started: float,
                     finished: float) -> list[str]:
    """What is wrong with a restored backup (nothing, when all is well): for each question,
    the answer that was the newest when the backup began (or one saved while it ran), and
    nothing saved after it ended."""
    problems = []
    expected = 0
    for child in children:
        for question, saves in _by_question(child).items():
            before = [saved for saved in saves if saved.acked_at < started]
            held = [number for number, saved in enumerate(saves) if saved.save_id in restored]
            if not before and not held:
                continue  # first answered after the backup began, and not in it: right
            if len(held) != 1:
                problems.append(f"missing from the backup: {child.code} {question}")
                continue
            expected += 1
            number = held[0]
            if restored[saves[number].save_id][1] != question:
                problems.append(f"another question's answer: {child.code} {question}")
            # Nothing newer had been saved before the backup began...
            if any(later.acked_at < started for later in saves[number + 1:]):
                problems.append(f"older than the backup's moment: {child.code} {question}")
            # ...and this was saved before it ended (a moment for the reply to arrive).
            if saves[number].acked_at > finished + 5.0:
                problems.append(f"saved after the backup: {child.code} {question}")
    if len(restored) != expected:
        problems.append(f"{len(restored) - expected} answers in the backup no child gave")
    return problems


def restore(db: Database, dump: Path) -> str:
    """Last night's backup restored into a new database (as docs/deploy.md does it);
    returns the new database's name."""
    restored = f"{db.name}_restored"
    admin = db.admin()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{restored}" OWNER "{db.migrator}"'))
            # The two lines docs/deploy.md gives (the dump brings the tables' privileges).
            connection.execute(text(f'REVOKE ALL ON DATABASE "{restored}" FROM PUBLIC'))
            connection.execute(text(f'GRANT CONNECT, TEMPORARY ON DATABASE "{restored}" '
                                    f'TO "{db.app_role}"'))
    finally:
        admin.dispose()
    back = subprocess.run(["pg_restore", "--exit-on-error", "--dbname",
                           db.url(db.migrator, restored, libpq=True), str(dump)],
                          capture_output=True, text=True, timeout=600)
    if back.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {back.stderr}")
    return restored
