"""One whole questionnaire as a tablet sends it, under load; and the first load for offline use.

What a questionnaire costs the server is decided by the page's script as much as by the
server: it saves each answer (or several at once), downloads the *pack* of page copies for
offline use, moves between pages by itself once it has them, has words with no audio file
made, and registers a service worker (``/sw.js``) that fetches too. The script changes, so
this benchmark does not write the requests down by hand. It records them:

1. **Record.** The app (``create_app()``, same settings as the load tests) is served in this
   process by werkzeug, wrapped in :class:`Recorder`, a WSGI middleware that keeps every
   request in the order it arrived, with its answer. Recording on the server is the only
   way to see the service worker's requests too (Playwright does not). Chromium answers a
   whole 8-11 questionnaire as a child of 9 would (the first answer that is not "I'd rather
   not say", a few words in each text box, Next, who helped, Send), waiting after each step
   until the server has heard nothing for a moment (1.2 s), so that background requests
   (the pack, audio) are recorded where they happen.

   A tablet in a council is used by one child after another, and keeps across children
   what is the same for every child (scripts, styles, pictures, read-aloud audio), so the
   recorded child is one on **a tablet used before**: in one browser context, another
   child (unrecorded) answers the same questionnaire to the thank-you page, the server
   falls quiet (2 s: that page's background requests are done) and the child closes the
   tab, as the page says they can; only then, at a moment the server is quiet, is the
   recording started afresh (:meth:`Recorder.cut`), and the recorded child opens a new tab
   on the same context and types their own code. Before either, the first child of all
   answers on a tablet of its own (unrecorded), so that the audio made on first need exists
   and the child before's pages keep it where every later child's pages look for it.
2. **Replay.** The recorded sequence (:class:`Script`) is sent again under gunicorn (same
   server as the other load tests) by 16 closed-loop clients (``load.run_load``), each
   a tablet answering whole questionnaires one after another, each time with a new
   child's code, starting with the cookies the recorded child's tablet held. What belongs
   to one session is put back in at replay time: the code, the CSRF token and the
   response token (each the latest this client was given), and each save id (made unique
   per replay; a batch of autosaves, ``{"token", "saves": [...], "at"}``, has each of its
   save ids replaced). Every answer is compared with the recorded one (status, redirect,
   JSON ``status`` and each save's, page heading), so anything else session-specific that
   slipped through shows as errors rather than as a fast run.
3. **First load for offline use.** A 5-year-old's *fresh* tablet (a new browser context:
   this one is about a new tablet) types the code and starts;
   every body the server sends until the tablet holds the questionnaire and falls quiet is
   added up (the service worker's and the page's fetches included), audio apart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from benchmarks.load import HOST, LoadResult, Request, run_load
from benchmarks.web import (
    ServerLog,
    WebSettings,
    _notes,
    _verdict,
    gunicorn,
    seed_ages,
    server_env,
)
from benchmarks.weight import CHROMIUM, CHROMIUM_ARGS

#: Completed questionnaires a second, and p95 of every request, with 16 tablets at once.
RATE_TARGET = 25.0
P95_TARGET_MS = 90.0
#: What a 4-7 tablet may download to hold the questionnaire offline, audio excluded.
OFFLINE_TARGET_KB = 150.0

#: The recorded child's age (band 8-11, about 20 questions) and the offline child's (4-7).
AGE = 9
OFFLINE_AGE = 5
#: Request headers replayed as recorded: those that change what the server answers.
#: (Cookie is each client's own; X-CSRFToken is filled in with the client's token.)
KEPT_HEADERS = ("Content-Type", "X-CSRFToken", "Accept", "Accept-Language", "Range",
                "If-None-Match", "If-Modified-Since")
#: Requests that cannot be replayed by nature: a sealed record is made for one response
#: with a key the tablet was given for it (and the seal is the proof; nothing to fill in).
UNREPLAYABLE = {("POST", "/offline/sync"): "sealed records"}
#: Seconds the server must hear nothing before a step is over (a text box is saved 0.8 s
#: after the last key), and the most a step may take (the first child's audio is made then).
QUIET = 1.2
STEP_LIMIT = 120.0
FREE_TEXT = "It is fine most days."
THANKS = "Thank you! Your answers have been sent."


# --- the database ---

# --- recording what the server is sent ---

@dataclass
class Exchange:
    """One request as the server received it, and its answer."""

    method: str
    #: Path and query string, as sent.
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    content_type: str = ""
    location: str = ""
    reply: bytes = b""
    #: CPU seconds the app spent on it (its thread's): the server's cost, as recorded.
    cpu: float = 0.0
    #: The Cookie header, as sent (not replayed: each client has its own cookie jar; the
    #: first request's tells what the tablet held when the child began).
    cookie: str = ""


class Recorder:
    """WSGI middleware: every request in the order it arrived, with its answer; and whether
    the server is busy, so that a step is over only when background requests are too."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self.busy = 0
        self.last = time.monotonic()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "")) + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        headers = {}
        for name in KEPT_HEADERS:
            key = name.upper().replace("-", "_")
            value = environ.get(key if key == "CONTENT_TYPE" else f"HTTP_{key}")
            if value:
                headers[name] = value
        exchange = Exchange(environ["REQUEST_METHOD"], path, headers, body,
                            cookie=environ.get("HTTP_COOKIE", ""))
        with self.lock:
            self.exchanges.append(exchange)
            self.busy += 1
            self.last = time.monotonic()

        def start(status: str, response_headers: list[tuple[str, str]],
                  exc_info: Any = None) -> Any:
            exchange.status = int(status.split(" ", 1)[0])
            found = {name.lower(): value for name, value in response_headers}
            exchange.content_type = found.get("content-type", "")
            exchange.location = found.get("location", "")
            return start_response(status, response_headers, exc_info)

        began = time.thread_time()
        try:
            result = self.app(environ, start)
            try:
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            exchange.reply = b"".join(chunks)
            return chunks
        finally:
            exchange.cpu = time.thread_time() - began
            with self.lock:
                self.busy -= 1
                self.last = time.monotonic()

    def take(self) -> list[Exchange]:
        """What was recorded since the last call (and start afresh)."""
        with self.lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def wait_quiet(self, quiet: float = QUIET, limit: float = STEP_LIMIT) -> bool:
        """Wait until no request is being answered and none has come for ``quiet`` seconds
        (at most ``limit`` seconds); False if the server never fell quiet."""
        return self._quiet(quiet, limit, take=False) is not None

    def cut(self, quiet: float = QUIET, limit: float = STEP_LIMIT) -> list[Exchange]:
        """Wait until the server is quiet as :meth:`wait_quiet` does, and at that very moment
        (under the same lock, so that no request can come in between) take what was recorded
        and start afresh: every request recorded after this began after the quiet."""
        taken = self._quiet(quiet, limit, take=True)
        if taken is None:
            raise RuntimeError(f"the server never fell quiet for {quiet:g} s in {limit:g} s")
        return taken

    def _quiet(self, quiet: float, limit: float, *, take: bool) -> list[Exchange] | None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                if self.busy == 0 and time.monotonic() - self.last >= quiet:
                    if not take:
                        return []
                    taken, self.exchanges = self.exchanges, []
                    return taken
            time.sleep(0.05)
        return None


@contextlib.contextmanager
def recording_server(env: dict[str, str]) -> Iterator[tuple[str, Recorder]]:
    """The app served in this process on a free loopback port, every request recorded."""
    from werkzeug.serving import make_server

    from viewpoint import create_app
    from viewpoint.config import Config

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(Config.from_env(env))
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="recorded-server", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["viewpoint.engine"].dispose()


# --- a child in Chromium ---

@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"the questionnaire benchmark needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def tablet(browser: Any) -> Iterator[Any]:
    """A fresh tablet (a browser context: empty caches and Cache Storage, no cookies, no
    service worker yet) that may keep the questionnaire offline, and keeps whatever its
    pages keep for as long as the block lasts, child after child; anything it tries to load
    from beyond 127.0.0.1 fails the benchmark."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True,
                                  locale="en-GB", service_workers="allow")
    context.set_default_timeout(30_000)
    outside: list[str] = []
    context.on("request", lambda request: outside.append(request.url)
               if urlsplit(request.url).hostname not in (HOST, None) else None)
    try:
        yield context
    finally:
        context.close()
    if outside:
        raise RuntimeError(f"the pages tried to load from outside: {outside[:3]}")


def _settle(recorder: Recorder, what: str, quiet: float = QUIET) -> None:
    if not recorder.wait_quiet(quiet):
        raise RuntimeError(f"the server never fell quiet after {what}")


def _sign_in(page: Any, base: str, code: str, recorder: Recorder | None) -> None:
    """Type the code on the start page, and press Start on the welcome page (once the server
    has fallen quiet, with a ``recorder``: what the welcome page asks for comes first)."""
    page.goto(base + "/")
    page.fill("#code", code)
    page.locator("form.code-form button[type=submit]").click()
    page.wait_for_url("**/welcome")
    if recorder is not None:
        _settle(recorder, "typing the code")
    page.locator("form[action$='/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/questions/"))
    page.wait_for_load_state("load")


_VISIBLE_UNANSWERED = """answered => Array.from(document.querySelectorAll(
    "fieldset[data-question]")).filter(f => !f.closest("[hidden]")).map(
    f => f.dataset.question).filter(key => !answered.includes(key))"""


def _answer_page(page: Any, recorder: Recorder) -> int:
    """Answer every question shown, and the follow-ups those answers open; returns how many."""
    answered: list[str] = []
    for _round in range(10):
        waiting = page.evaluate(_VISIBLE_UNANSWERED, answered)
        if not waiting:
            break
        for key in waiting:
            fieldset = page.locator(f'fieldset[data-question="{key}"]')
            if fieldset.get_attribute("data-type") == "free_text":
                fieldset.locator("textarea").fill(FREE_TEXT)
            else:
                fieldset.locator(".answer").filter(
                    has_not=page.locator("input[value=_declined]")).first.locator(
                    "label").first.click()
            answered.append(key)
        _settle(recorder, f"answering {', '.join(waiting)}")
    return len(answered)


def answer_questionnaire(context: Any, base: str, code: str, recorder: Recorder) -> int:
    """A child answering a whole questionnaire on ``context`` (a tablet, fresh or used
    before) in a new tab, page by page, then saying nobody helped and sending; once the
    thank-you page has settled (the server quiet for 2 s: its background requests done),
    the child closes the tab, as that page says they can. Returns how many questions
    were answered."""
    answered = 0
    page = context.new_page()
    try:
        _sign_in(page, base, code, recorder)
        for _page in range(60):
            if urlsplit(page.url).path.endswith("/finish"):
                break
            _settle(recorder, f"opening {page.url}")
            answered += _answer_page(page, recorder)
            before = page.url
            page.locator("button[name=action][value=next]").click()
            page.wait_for_url(lambda url, before=before: url != before)
            page.wait_for_load_state("load")
        else:
            raise RuntimeError(f"no end of the questionnaire after 60 pages: at {page.url}")
        _settle(recorder, "opening the last page")
        page.locator('label[for="helped-nobody"]').click()
        page.locator("form[data-finish-form] button[type=submit]").click()
        page.get_by_role("heading", name=THANKS).wait_for()
        page.wait_for_load_state("networkidle")
        _settle(recorder, "sending", quiet=2.0)
    finally:
        page.close()
    return answered


# --- what is replayed ---

def kind_of(method: str, path: str) -> str:
    """The request's kind for the figures: pages of one sort together."""
    path = path.split("?", 1)[0]
    for prefix, name in (("/questions/", "/questions/<key>"),
                         ("/offline/page/", "/offline/page/<key>"),
                         ("/offline/done/", "/offline/done/<step>"),
                         ("/static/", "/static/*"), ("/audio/", "/audio/*")):
        if path.startswith(prefix):
            return f"{method} {name}"
    return f"{method} {path}"


@dataclass(frozen=True)
class Slot:
    """Where a per-session value goes in a recorded request: ``name`` is code, csrf, token
    or save (``original`` is then the recorded save id); ``quoted``: form-encoded."""

    name: str
    quoted: bool = False
    original: str = ""


Template = tuple[bytes | Slot, ...]

_CSRF_HTML = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_JSON = re.compile(rb'"csrf"\s*:\s*"([^"]+)"')
_CSRF_FORM = re.compile(rb"(?:^|&)csrf_token=([^&]+)")
_TOKEN_HTML = re.compile(rb'data-token="([^"]+)"')
_TOKEN_JSON = re.compile(rb'"token"\s*:\s*"([^"]+)"')
_SAVE_JSON = re.compile(rb'"save_id"\s*:\s*"([^"\\]+)"')
_SAVE_FORM = re.compile(rb"(?:^|&)save-[^=&]+=([^&]+)")
_HEADING = re.compile(rb"<h1\b[^>]*>(.*?)</h1>", re.S)
_TAGS = re.compile(rb"<[^>]+>")


def heading_of(html: bytes) -> bytes | None:
    found = _HEADING.search(html)
    return b" ".join(_TAGS.sub(b"", found[1]).split()) if found else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass(frozen=True)
class Step:
    """One recorded request made into a template, and the answer it must get again."""

    kind: str
    method: str
    path: Template
    body: Template
    headers: dict[str, str]
    #: Whether X-CSRFToken was sent: it is then the client's latest CSRF token.
    csrf_header: bool
    status: int
    location: str
    #: A JSON answer's "status", and each save's, as recorded.
    json_status: str | None
    results: tuple[str, ...] | None
    heading: bytes | None
    #: The answer may carry a CSRF or response token for the requests after it.
    teaches: bool
    #: The request that sends the answers: the questionnaire is complete when it succeeds.
    finish: bool

    def problem(self, status: int, headers: Any, body: bytes) -> str | None:
        """None if the answer is the recorded one (as far as it can be the same)."""
        if status != self.status and not (self.status == 304 and status == 200):
            return f"{self.kind}: HTTP {status}, recorded {self.status}"
        if self.location and urlsplit(headers.get("Location") or "").path != self.location:
            return f"{self.kind}: to {headers.get('Location')}, recorded {self.location}"
        if self.json_status is not None:
            answer = _json(body)
            if not isinstance(answer, dict) or answer.get("status") != self.json_status:
                got = answer.get("status") if isinstance(answer, dict) else "not JSON"
                return f"{self.kind}: status {got}, recorded {self.json_status}"
            if self.results is not None and tuple(
                    r.get("status") for r in answer.get("results") or []) != self.results:
                return f"{self.kind}: saves not {'/'.join(sorted(set(self.results)))}"
        if self.heading is not None and heading_of(body) != self.heading:
            return f"{self.kind}: another page ({(heading_of(body) or b'').decode()[:40]})"
        return None


@dataclass
class Script:
    """The recorded questionnaire, ready to replay: steps in the order the server got them."""

    steps: list[Step]
    #: Requests left out, by kind, with why.
    skipped: Counter[str] = field(default_factory=Counter)
    #: Bytes the server sent and CPU seconds it spent, for one questionnaire (as recorded),
    #: and the CPU seconds by kind of request.
    reply_bytes: int = 0
    cpu: float = 0.0
    cpu_by_kind: Counter[str] = field(default_factory=Counter)
    #: The cookies the tablet held when the child began (what the child before left: the
    #: replay's tablets start each child with them, then keep their own).
    first_cookies: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_recording(cls, exchanges: list[Exchange], code: str) -> Script:
        """The recorded child's per-session values (``code``, and every CSRF token, response
        token and save id seen) are found first; each request then becomes a template with
        a slot wherever one of them appears, in its path or body."""
        csrfs: set[bytes] = set()
        tokens: set[bytes] = set()
        saves: set[bytes] = set()
        for exchange in exchanges:
            for pattern, found in ((_CSRF_HTML, csrfs), (_CSRF_JSON, csrfs),
                                   (_TOKEN_HTML, tokens), (_TOKEN_JSON, tokens)):
                found.update(pattern.findall(exchange.reply))
            for pattern, found in ((_CSRF_FORM, csrfs), (_TOKEN_JSON, tokens),
                                   (_SAVE_JSON, saves), (_SAVE_FORM, saves)):
                found.update(pattern.findall(exchange.body))
            if "X-CSRFToken" in exchange.headers:
                csrfs.add(exchange.headers["X-CSRFToken"].encode())
        # Form-encoded values are kept encoded in the body; the value put back is encoded too.
        slots: dict[bytes, Slot] = {code.encode(): Slot("code"),
                                    quote_plus(code).encode(): Slot("code", quoted=True)}
        for value in csrfs:
            plain = _unquote(value)
            slots[plain] = Slot("csrf")
            slots[quote_plus(plain.decode()).encode()] = Slot("csrf", quoted=True)
        for value in tokens:
            slots[value] = Slot("token")
        for value in saves:
            plain = _unquote(value)
            slots[plain] = Slot("save", original=plain.decode())
            slots[quote_plus(plain.decode()).encode()] = Slot("save", True, plain.decode())
        finder = re.compile(b"|".join(re.escape(value) for value in
                                      sorted(slots, key=len, reverse=True)))

        def template(data: bytes) -> Template:
            parts: list[bytes | Slot] = []
            at = 0
            for match in finder.finditer(data):
                parts += [data[at:match.start()], slots[match[0]]]
                at = match.end()
            parts.append(data[at:])
            return tuple(part for part in parts if part != b"")

        if not any(slots[part].name == "code"
                   for exchange in exchanges if exchange.method == "POST"
                   for part in finder.findall(exchange.body)):
            raise RuntimeError("no request recorded carries the child's code: "
                               "cannot replay signing in")
        finishing = [number for number, exchange in enumerate(exchanges)
                     if (exchange.method, exchange.path) == ("POST", "/finish")]
        if not finishing:
            raise RuntimeError("no POST /finish was recorded: the questionnaire was not sent")
        script = cls(steps=[], first_cookies=_cookies(exchanges[0].cookie))
        for number, exchange in enumerate(exchanges):
            kind = kind_of(exchange.method, exchange.path)
            why = UNREPLAYABLE.get((exchange.method, exchange.path.split("?", 1)[0]))
            if why is not None:
                script.skipped[f"{kind} ({why})"] += 1
                continue
            answer = _json(exchange.reply) if "json" in exchange.content_type else None
            json_status = answer.get("status") if isinstance(answer, dict) else None
            results = answer.get("results") if isinstance(answer, dict) else None
            status = exchange.status
            if kind == "POST /answers":  # an autosave is right only when it was saved
                status, json_status = 200, "saved"
            script.steps.append(Step(
                kind=kind, method=exchange.method, path=template(exchange.path.encode()),
                body=template(exchange.body),
                headers={name: value for name, value in exchange.headers.items()
                         if name != "X-CSRFToken"},
                csrf_header="X-CSRFToken" in exchange.headers,
                status=status, location=urlsplit(exchange.location).path,
                json_status=json_status if isinstance(json_status, str) else None,
                results=tuple(r.get("status") for r in results if isinstance(r, dict))
                if isinstance(results, list) else None,
                heading=heading_of(exchange.reply) if "html" in exchange.content_type
                and exchange.status == 200 else None,
                teaches=any(pattern.search(exchange.reply) for pattern in
                            (_CSRF_HTML, _CSRF_JSON, _TOKEN_HTML, _TOKEN_JSON)),
                finish=number == finishing[-1]))
            script.reply_bytes += len(exchange.reply)
            script.cpu += exchange.cpu
            script.cpu_by_kind[kind] += exchange.cpu
        return script

    def counts(self) -> Counter[str]:
        """Requests per questionnaire, by kind (in the order each kind first comes)."""
        return Counter(step.kind for step in self.steps)


def _unquote(value: bytes) -> bytes:
    return unquote_plus(value.decode()).encode()


def _cookies(header: str) -> dict[str, str]:
    pairs = (pair.strip().partition("=") for pair in header.split(";") if pair.strip())
    return {name: value for name, _, value in pairs if name}


class Children:
    """The seeded children's codes, each given out once."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        self.given = 0
        self.lock = threading.Lock()

    def take(self) -> str | None:
        with self.lock:
            if self.given >= len(self.codes):
                return None
            self.given += 1
            return self.codes[self.given - 1]


class Tablet:
    """A client of ``run_load`` that answers the recorded questionnaire again and again, each
    time as the next child on a tablet used before: a new code, its own tokens, and the
    cookies the recorded child's tablet held when that child began (the child before had
    finished on it)."""

    def __init__(self, script: Script, children: Children, number: int) -> None:
        self.script = script
        self.children = children
        self.number = number
        self.position = 0
        self.round = 0
        self.cookies: dict[str, str] = {}
        self.values: dict[Slot, bytes] = {}
        self.ran_out = False
        #: (step, succeeded) for each request sent, in order: matched afterwards with the
        #: latencies run_load measured, to tell them apart by kind.
        self.log: list[tuple[int, bool]] = []
        self.pending: int | None = None

    def _begin(self) -> None:
        code = self.children.take()
        if code is None:
            self.ran_out = True
            code = ""
        self.round += 1
        self.cookies = dict(self.script.first_cookies)
        self.values = {Slot("code"): code.encode(),
                       Slot("code", quoted=True): quote_plus(code).encode()}
        self._learn_csrf(b"")
        self.values[Slot("token")] = b""

    def _learn_csrf(self, value: bytes) -> None:
        self.values[Slot("csrf")] = value
        self.values[Slot("csrf", quoted=True)] = quote_plus(value.decode()).encode()

    def _fill(self, template: Template) -> bytes:
        parts = []
        for part in template:
            if isinstance(part, bytes):
                parts.append(part)
                continue
            value = self.values.get(part)
            if value is None:  # a save id: this replay's own, the same wherever it recurs
                mine = f"{part.original[:48]}~{self.number:x}.{self.round:x}"
                value = self.values[part] = (quote_plus(mine) if part.quoted else mine).encode()
            parts.append(value)
        return b"".join(parts)

    def next_request(self, number: int) -> Request:
        if self.pending is not None:  # the last request got no answer at all
            self.log.append((self.pending, False))
        if self.position == 0:
            self._begin()
        index, step = self.position, self.script.steps[self.position]
        self.position = (self.position + 1) % len(self.script.steps)
        self.pending = index
        headers = dict(step.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}"
                                          for name, value in self.cookies.items())
        if step.csrf_header:
            headers["X-CSRFToken"] = self.values[Slot("csrf")].decode()
        body = self._fill(step.body) if step.body else None
        return Request(step.method, self._fill(step.path).decode(), body, headers)

    def check(self, status: int, headers: Any, body: bytes) -> str | None:
        index, self.pending = self.pending, None
        assert index is not None
        step = self.script.steps[index]
        for cookie in headers.get_all("Set-Cookie") or []:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            gone = not value or "max-age=0" in attributes.lower() or "1970" in attributes
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if step.teaches:
            for pattern in (_CSRF_HTML, _CSRF_JSON):
                if found := pattern.search(body):
                    self._learn_csrf(found[1])
            for pattern in (_TOKEN_HTML, _TOKEN_JSON):
                if found := pattern.search(body):
                    self.values[Slot("token")] = found[1]
        problem = "no seeded child left" if self.ran_out else step.problem(status, headers, body)
        self.log.append((index, problem is None))
        return problem

    def measured(self, latencies: list[float]) -> list[tuple[Step, float]]:
        """The steps behind run_load's measured latencies for this client: they are the last
        of its requests that succeeded, in order."""
        succeeded = [index for index, ok in self.log if ok]
        chosen = succeeded[len(succeeded) - len(latencies):] if latencies else []
        return [(self.script.steps[index], latency)
                for index, latency in zip(chosen, latencies, strict=True)]


# --- the benchmark ---

def _kb(size: int) -> str:
    return f"{size / 1024:,.1f} KB"


def _is_audio(exchange: Exchange) -> bool:
    path = exchange.path.split("?", 1)[0]
    return (exchange.content_type.startswith("audio/") or path.startswith("/audio/")
            or (exchange.method, path) == ("POST", "/say"))


def _describe_counts(counts: Counter[str]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())


def first_load_offline(browser: Any, base: str, code: str,
                       recorder: Recorder) -> tuple[list[Exchange], float, float]:
    """A fresh tablet typing a code and starting, until it holds the questionnaire and the
    server hears nothing more from it for 2 s (at most 60 s); returns what the server sent,
    and the seconds until the tablet held the questionnaire and until it fell quiet."""
    with tablet(browser) as context:
        page = context.new_page()
        recorder.take()
        started = time.perf_counter()
        _sign_in(page, base, code, None)
        page.wait_for_function("() => sessionStorage.getItem('viewpoint-pack') !== null"
                               " && navigator.serviceWorker.controller !== null",
                               timeout=60_000)
        ready = time.perf_counter() - started
        recorder.wait_quiet(quiet=2.0, limit=60.0)
        quiet = time.perf_counter() - started
        return recorder.take(), ready, quiet


def offline_row(exchanges: list[Exchange], ready: float, quiet: float) -> list[str]:
    """The first load's row: judged on everything but audio (which a child may never play,
    yet the pack fetches), with the biggest items named, as ``weight.py`` does."""
    audio = [e for e in exchanges if _is_audio(e)]
    other = [e for e in exchanges if not _is_audio(e)]
    other_bytes = sum(len(e.reply) for e in other)
    audio_bytes = sum(len(e.reply) for e in audio)
    met = other_bytes / 1024 <= OFFLINE_TARGET_KB
    largest = Counter[str]()
    for exchange in other:
        largest[f"{exchange.method} {exchange.path}"] += len(exchange.reply)
    biggest = ", ".join(f"{name} {_kb(size)}" for name, size in largest.most_common(8))
    said = sum(1 for e in audio if e.method == "POST")
    kinds = _describe_counts(Counter(kind_of(e.method, e.path) for e in exchanges))
    row = [f"first load for offline use, {OFFLINE_AGE}-year-old (band 4-7), English",
           "sqlite", f"{len(exchanges)} requests ({len(audio)} audio)",
           f"held offline after {ready:.1f} s, quiet after {quiet:.1f} s",
           f"{_kb(other_bytes)} + {_kb(audio_bytes)} audio",
           f"≤ {OFFLINE_TARGET_KB:g} KB (audio excluded): {'met' if met else 'missed'}",
           f"Chromium, fresh context, service worker allowed, recorded on the server from the "
           f"code page on; by kind: {kinds}; "
           f"biggest: {biggest}; audio: {len(audio)} files ({said} made on request by "
           f"POST /say), reported only; bodies only"]
    print(" | ".join(row), flush=True)
    return row


def _replay_row(script: Script, result: LoadResult, tablets: list[Tablet],
                settings: WebSettings, log: ServerLog) -> list[str]:
    """The replay's row: completed questionnaires a second (a questionnaire counts once its
    POST /finish got the thank-you page inside the measured window), latency per request
    overall and by kind, and what one questionnaire is made of."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    completed = 0
    for number, client in enumerate(tablets):
        for step, latency in client.measured(result.by_client[number]):
            by_kind[step.kind].append(latency)
            completed += step.finish
    rate = completed / result.seconds
    # Completions come in whole questionnaires: when one takes a tablet longer than the
    # window, few end inside it. Requests a second over requests per questionnaire is the
    # same rate without that granularity (reported beside it, not judged).
    worth = result.rate / len(script.steps)
    each = settings.clients / worth if worth else math.inf
    p95 = result.percentile(95) * 1000
    rate_met = rate >= RATE_TARGET and result.errors == 0
    p95_met = p95 <= P95_TARGET_MS and result.errors == 0
    kinds = "; ".join(
        f"{kind} ×{len(latencies):,}: p50 {part.ms(50)}, p95 {part.ms(95)}, p99 {part.ms(99)}"
        for kind, latencies in sorted(by_kind.items(), key=lambda item: -sum(item[1]))
        if (part := dataclasses.replace(result, latencies=latencies)))
    skipped = (f"; not replayed: {_describe_counts(script.skipped)}" if script.skipped
               else "; nothing left out")
    cpu_kinds = ", ".join(f"{kind} {seconds * 1000:.0f} ms" for kind, seconds
                          in script.cpu_by_kind.most_common() if seconds >= 0.0005)
    row = ["whole questionnaire, 8-11 (recorded in Chromium, replayed)", "sqlite",
           f"{settings.clients} clients, {settings.duration:g} s",
           f"p50 {result.ms(50)}, p95 {result.ms(95)}, p99 {result.ms(99)} per request",
           f"{rate:.1f} questionnaires/s ({result.rate:,.0f} req/s: "
           f"{worth:.1f} questionnaires' worth)",
           f"≥ {RATE_TARGET:g}/s: {'met' if rate_met else 'missed'}; "
           f"p95 ≤ {P95_TARGET_MS:g} ms: {_verdict(p95_met, result)}",
           f"recorded from Chromium (a child of {AGE}, service worker allowed) on a tablet "
           f"used before: the child before finished on it (same browser context, a new tab, "
           f"another child's code): "
           f"{len(script.steps)} requests per questionnaire: {_describe_counts(script.counts())}"
           f"{skipped}; {_kb(script.reply_bytes)} sent per questionnaire; "
           f"server CPU per questionnaire as recorded: {script.cpu * 1000:.0f} ms "
           f"({cpu_kinds}); "
           f"{completed:,} questionnaires completed in the measured window, "
           f"about {each:.1f} s each per tablet; "
           f"{_notes(settings.server, result, log)}; by kind (most time first): {kinds}"]
    print(" | ".join(row), flush=True)
    return row


def _check_starts_afresh(exchanges: list[Exchange]) -> None:
    """The recorded child's requests begin with their start page (the service worker may
    send what waited in the outbox first): anything before it was the child before's."""
    first = next((number for number, exchange in enumerate(exchanges)
                  if (exchange.method, exchange.path) == ("GET", "/")), None)
    if first is None:
        raise RuntimeError("the recorded child's start page (GET /) was not recorded")
    before = [kind_of(e.method, e.path) for e in exchanges[:first]
              if (e.method, e.path) != ("POST", "/offline/sync")]
    if before:
        raise RuntimeError("requests of the child before were recorded for the next child: "
                           + ", ".join(before[:5]))


def bench_questionnaire(settings: WebSettings, scratch: Path) -> list[list[str]]:
    """Record a questionnaire in Chromium on a tablet used before, replay it under
    gunicorn, and weigh the first load for offline use on a fresh tablet."""
    instance = scratch / "questionnaire-instance"  # shared: audio made once is kept there
    recorded_url = f"sqlite:///{scratch / 'bench_questionnaire_recorded.sqlite3'}"
    (first_code, _), (before_code, _), (code, band), (offline_code, _) = seed_ages(
        recorded_url, instance, [AGE, AGE, AGE, OFFLINE_AGE])
    started = time.perf_counter()
    with recording_server(server_env(recorded_url, instance)) as (base, recorder), \
            chromium() as browser:
        # Unrecorded, on a tablet of its own: the first child ever to answer in this band
        # has the audio made on first need (POST /say), and their pages keep it under the
        # address it was made at; every later child's pages name the file made, instead.
        # Without this, the tablet's child before would keep the audio under the first
        # addresses, and the recorded child would download all of it again.
        with tablet(browser) as elsewhere:
            answer_questionnaire(elsewhere, base, first_code, recorder)
        with tablet(browser) as used:
            # Unrecorded: the child before on the same tablet, to the thank-you page and the
            # tab closed, leaving the tablet holding whatever the pages keep across children.
            answer_questionnaire(used, base, before_code, recorder)
            # Only once its last requests are over (cut under the recorder's lock, so that
            # nothing of the first child's can be counted for the second).
            recorder.cut(quiet=QUIET)
            answered = answer_questionnaire(used, base, code, recorder)
            exchanges = recorder.cut(quiet=QUIET)
        _check_starts_afresh(exchanges)
        script = Script.from_recording(exchanges, code)
        print(f"recorded a {band} questionnaire on a tablet used before ({answered} "
              f"questions answered) in {time.perf_counter() - started:.0f} s: "
              f"{len(script.steps)} requests: {_describe_counts(script.counts())}; "
              f"server CPU {script.cpu * 1000:.0f} ms", flush=True)
        offline = first_load_offline(browser, base, offline_code, recorder)

    # Enough children for the fastest the server could go (its CPU per questionnaire, as
    # recorded, on every core), or for the target if that is faster, twice over.
    cores = os.cpu_count() or 1
    estimate = max(cores / script.cpu if script.cpu else 0.0, RATE_TARGET)
    needed = settings.clients + math.ceil(
        2 * estimate * (settings.warmup + settings.duration))
    url = f"sqlite:///{scratch / 'bench_questionnaire.sqlite3'}"
    codes = [issued for issued, _ in seed_ages(url, instance, [AGE] * needed)]
    print(f"seeded {needed} children (at most {estimate:.0f} questionnaires/s: "
          f"{script.cpu * 1000:.0f} ms of CPU each as recorded)", flush=True)
    env = server_env(url, instance)
    if settings.profile is not None:
        env["VIEWPOINT_BENCH_PROFILE"] = str(settings.profile)
    log = ServerLog(scratch / "questionnaire-gunicorn.log")
    children = Children(codes)
    tablets = [Tablet(script, children, number) for number in range(settings.clients)]
    with gunicorn(env, settings.server, log.path) as server:
        result = run_load(server.port, tablets, duration=settings.duration,
                          warmup=settings.warmup, server_pid=server.pid)
    if any(client.ran_out for client in tablets):
        raise RuntimeError(f"the {needed} seeded children ran out during the replay "
                           f"({children.given} questionnaires begun): seed more")
    return [_replay_row(script, result, tablets, settings, log), offline_row(*offline)]
