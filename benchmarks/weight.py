"""Page weight: what a 4-7 child's tablet downloads to show a question page, cache empty.

Preferred: Chromium (Debian's /usr/bin/chromium driven by Playwright) loads the page in a
fresh browser context holding only the child's session cookie, and every response body
is counted (HTML, CSS, JS, images, whatever the browser fetches to show the page; audio is
excluded, and so is what the page then downloads to keep the questionnaire for offline
use, which the ``questionnaire`` benchmark measures).
Without Chromium or Playwright: the page is fetched and every stylesheet, script, icon
and image it references (and every url() in its stylesheets) is fetched and counted.
"""

from __future__ import annotations

import http.client
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from benchmarks.load import HOST
from benchmarks.web import ChildSession

TARGET_KB = 50.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

#: (path, resource type, body bytes, header bytes) for each file fetched.
Files = list[tuple[str, str, int, int]]


def _is_audio(path: str, kind: str) -> bool:
    return kind == "media" or path.startswith("/static/audio/")


#: What the page downloads after it is shown, to keep the whole questionnaire on the tablet
#: for offline use (the pack, the copies, audio, the service worker): counted by the
#: ``questionnaire`` benchmark's first load, not here.
_KEEPING_FOR_OFFLINE = ("/offline/", "/say", "/audio/", "/sw.js")


def _keeps_for_offline(path: str) -> bool:
    return path.startswith(_KEEPING_FOR_OFFLINE)


def _with_chromium(port: int, child: ChildSession) -> Callable[[str], Files] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return None
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    base = f"http://{HOST}:{port}"

    def load(path: str) -> Files:
        context = browser.new_context()  # a new, empty cache every time
        context.add_cookies([{"name": "session", "value": child.cookie, "url": base}])
        seen: Files = []

        def finished(request) -> None:  # type: ignore[no-untyped-def]
            # The page's script fetching (the autosave; the files kept for offline use,
            # fetched through the service worker, which reports no size) shows nothing.
            if (_keeps_for_offline(urlsplit(request.url).path)
                    or request.resource_type in ("fetch", "xhr")):
                return
            sizes = request.sizes()
            seen.append((urlsplit(request.url).path, request.resource_type,
                         sizes["responseBodySize"], sizes["responseHeadersSize"]))

        page = context.new_page()
        page.on("requestfinished", finished)
        response = page.goto(base + path, wait_until="networkidle")
        if response is None or response.status != 200 or urlsplit(page.url).path != path:
            raise RuntimeError(f"could not load {path}: ended at {page.url}")
        context.close()
        return seen

    load.close = lambda: (browser.close(), playwright.stop())  # type: ignore[attr-defined]
    return load


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        rel = (values.get("rel") or "").split()
        if tag == "link" and values.get("href") and {"stylesheet", "icon"} & set(rel):
            self.found.append((values["href"] or "",
                               "stylesheet" if "stylesheet" in rel else "image"))
        elif tag == "script" and values.get("src"):
            self.found.append((values["src"] or "", "script"))
        elif tag == "img" and values.get("src"):
            self.found.append((values["src"] or "", "image"))


def _with_parser(port: int, child: ChildSession) -> Callable[[str], Files]:
    def fetch(path: str, cookie: bool) -> tuple[int, bytes, int]:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        connection.request("GET", path, headers=child.headers() if cookie else {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        head = sum(len(f"{name}: {value}\r\n") for name, value in response.getheaders())
        return response.status, body, head

    def load(path: str) -> Files:
        status, body, head = fetch(path, cookie=True)
        if status != 200:
            raise RuntimeError(f"could not load {path}: HTTP {status}")
        seen: Files = [(path, "document", len(body), head)]
        parser = _References()
        parser.feed(body.decode())
        queue = [(urlsplit(urljoin(path, ref)).path, kind) for ref, kind in parser.found]
        done = {path}
        while queue:
            ref, kind = queue.pop(0)
            if ref in done or _is_audio(ref, kind):
                continue
            done.add(ref)
            status, body, head = fetch(ref, cookie=False)
            seen.append((ref, kind, len(body), head))
            if kind == "stylesheet":
                queue += [(urlsplit(urljoin(ref, found)).path, "image") for found in
                          re.findall(r"url\(\s*['\"]?([^'\")]+)", body.decode())
                          if not found.startswith("data:")]
        return seen

    return load


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def bench_weight(port: int, child: ChildSession) -> list[list[str]]:
    """A row for the child's first question page, judged by the heaviest 4-7 page."""
    loader = _with_chromium(port, child)
    method = "Chromium, fresh context"
    if loader is None:
        loader = _with_parser(port, child)
        method = "HTML parser (no Chromium)"
    try:
        keys = [question.key for question in child.questions]
        weights: dict[str, Files] = {}
        for key in keys:
            files = [f for f in loader(f"/questions/{key}") if not _is_audio(f[0], f[1])]
            weights[key] = files
    finally:
        close = getattr(loader, "close", None)
        if close:
            close()
    first = child.page.rsplit("/", 1)[-1]
    totals = {key: sum(f[2] for f in files) for key, files in weights.items()}
    heaviest = max(totals, key=lambda key: totals[key])
    files = weights[first]
    breakdown = ", ".join(f"{path.rsplit('/', 1)[-1] or path} {_kb(size)}"
                          for path, _kind, size, _head in sorted(files, key=lambda f: -f[2]))
    headers = sum(f[3] for f in files)
    met = totals[heaviest] / 1024 <= TARGET_KB
    row = ["question page weight, 4-7, first load", "sqlite",
           f"{len(files)} files", "-", _kb(totals[first]),
           f"≤ {TARGET_KB:g} KB: {'met' if met else 'missed'} "
           f"(heaviest of {len(totals)} pages: {heaviest} {_kb(totals[heaviest])})",
           f"{method}; page /questions/{first}: {breakdown}; bodies only, audio excluded "
           f"(+ {_kb(headers)} of response headers)"]
    print(" | ".join(row), flush=True)
    return [row]
