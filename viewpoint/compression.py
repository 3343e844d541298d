"""The service's own scripts, styles and drawings sent compressed (gzip) to browsers that
ask for it: a tablet on a weak connection, or keeping the whole questionnaire for offline
use, downloads a third of the bytes.

Files from ``static/`` are compressed, each once per version of the file (its size and
modification time) and kept in memory; so are the copies of the child's pages a tablet
keeps for offline use (``respond/offline.py``), which hold no secret. Pages are never
compressed: they carry secrets (the CSRF token) beside words a visitor can put on them,
which is what the BREACH attack needs.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

#: What compresses well: text. Fonts (WOFF2) and audio are compressed already.
COMPRESSIBLE = {"text/javascript", "application/javascript", "text/css", "image/svg+xml",
                "application/json", "text/plain"}

#: Files smaller than this gain nothing worth a header.
SMALLEST = 1024

_KEPT: dict[tuple[str, int, int], bytes] = {}
_KEPT_MOST = 256


def accepts_gzip() -> bool:
    """Whether the browser asked for gzip."""
    return any(part.split(";")[0].strip().lower() == "gzip" and "q=0" not in part.replace(" ", "")
               for part in request.headers.get("Accept-Encoding", "").split(","))


def compress_static(response: Response) -> Response:
    if (request.endpoint != "static" or response.status_code != 200
            or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip():
        return response
    found = safe_join(current_app.static_folder or "static",
                      (request.view_args or {}).get("filename", ""))
    if found is None or not Path(found).is_file():
        return response
    state = Path(found).stat()
    if state.st_size < SMALLEST:
        return response
    key = (found, state.st_size, state.st_mtime_ns)
    body = _KEPT.get(key)
    if body is None:
        body = gzip.compress(Path(found).read_bytes(), compresslevel=9, mtime=0)
        if len(_KEPT) >= _KEPT_MOST:
            _KEPT.clear()
        _KEPT[key] = body
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-gzip", weak=weak)
    return response


def static_build() -> str:
    """A name for this version of the static files, from what they hold (the same on every
    server running this version): it changes whenever one of them does, and a tablet then
    throws away the files it kept. Worked out once per process."""
    return _build(current_app.static_folder or "static")


@lru_cache(maxsize=4)
def _build(folder: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(folder)}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def register_compression(app: Flask) -> None:
    app.after_request(compress_static)
