"""The service's own scripts, styles and drawings sent compressed (gzip) to browsers that
ask for it: a tablet on a weak connection, or keeping the whole questionnaire for offline
use, downloads a third of the bytes.

Only files from ``static/`` are compressed, each once per version of the file (its size and
modification time) and kept in memory. Pages are never compressed: they carry secrets (the
CSRF token) beside words a visitor can put on them, which is what the BREACH attack needs.
"""

from __future__ import annotations

import gzip
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


def _wants_gzip() -> bool:
    return any(part.split(";")[0].strip().lower() == "gzip" and "q=0" not in part.replace(" ", "")
               for part in request.headers.get("Accept-Encoding", "").split(","))


def compress_static(response: Response) -> Response:
    if (request.endpoint != "static" or response.status_code != 200
            or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers):
        return response
    response.vary.add("Accept-Encoding")
    if not _wants_gzip():
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


def register_compression(app: Flask) -> None:
    app.after_request(compress_static)
