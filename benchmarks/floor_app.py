"""WSGI entry point for the web benchmarks: the real app plus one bare route.

``gunicorn benchmarks.floor_app:app`` serves viewpoint exactly as ``create_app()`` builds it
from the environment, plus ``POST /_bench/floor``: one INSERT into a throwaway table in the
same SQLite database, through the same engine (same pragmas: WAL, ``synchronous=FULL``),
in a write transaction that begins with ``BEGIN IMMEDIATE`` and commits durably. That is
the floor the disk sets for a request that saves something; the answer-save benchmark is
measured against it on the same server. It lives in benchmarks/ and is never part of the
product.

With ``VIEWPOINT_BENCH_PROFILE=<folder>`` every request runs under cProfile and each worker
writes ``<folder>/worker-<pid>.prof`` when it exits (``python -m benchmarks --profile``).
"""

from __future__ import annotations

import atexit
import cProfile
import os
import threading
import time
from pathlib import Path
from typing import Any

from flask import jsonify, request
from sqlalchemy import text

from viewpoint import create_app
from viewpoint.auth.permissions import require_sign_in
from viewpoint.extensions import IMMEDIATE, csrf, db
from viewpoint.security import takes_json

FLOOR_TABLE = "bench_floor"

app = create_app()
_engine = app.extensions["viewpoint.engine"]
with _engine.connect().execution_options(**{IMMEDIATE: True}) as _connection, \
        _connection.begin():
    _connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
        "(id INTEGER PRIMARY KEY, payload TEXT NOT NULL, created REAL NOT NULL)")
# Nothing pooled survives into a forked worker (matters with gunicorn --preload).
_engine.dispose()


@csrf.exempt
@takes_json  # sent a small JSON body, as an autosave is
def bench_floor():  # type: ignore[no-untyped-def]
    """One durable insert, and nothing else the app does.

    Every POST's transaction has already been begun by the app's own before_request hook
    (``BEGIN IMMEDIATE`` on the app's engine), and its after_request hook commits it, so
    this request is exactly one IMMEDIATE write transaction holding one INSERT. (Opening a
    second connection here instead would wait on the write lock that hook holds.)
    """
    connection = db.session.connection()
    assert connection.get_execution_options().get(IMMEDIATE), "expected BEGIN IMMEDIATE"
    connection.execute(text(f"INSERT INTO {FLOOR_TABLE} (payload, created) "  # noqa: S608
                            "VALUES (:payload, :created)"),
                       {"payload": "x" * 64, "created": time.time()})
    return jsonify(status="saved")


app.add_url_rule("/_bench/floor", "bench_floor", bench_floor, methods=["POST"])


def _open_floor() -> None:
    """Let the floor through the app-wide sign-in check, as the child's pages are (they
    check their own access code instead); every other page keeps the check."""
    hooks = app.before_request_funcs.setdefault(None, [])
    index = hooks.index(require_sign_in)

    def sign_in_unless_floor() -> Any:
        return None if request.endpoint == "bench_floor" else require_sign_in()

    hooks[index] = sign_in_unless_floor


_open_floor()


class _Profiled:
    """WSGI middleware: profile every request, one profiler per thread, saved at exit."""

    def __init__(self, wsgi_app: Any, folder: Path) -> None:
        self.wsgi_app = wsgi_app
        self.folder = folder
        self.local = threading.local()
        self.profilers: list[cProfile.Profile] = []
        self.lock = threading.Lock()
        atexit.register(self.save)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        profiler = getattr(self.local, "profiler", None)
        if profiler is None:
            profiler = self.local.profiler = cProfile.Profile()
            with self.lock:
                self.profilers.append(profiler)
        profiler.enable()
        try:
            # Materialise the body inside the profiled call (Flask bodies are small).
            return list(self.wsgi_app(environ, start_response))
        finally:
            profiler.disable()

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for number, profiler in enumerate(self.profilers):
            profiler.dump_stats(self.folder / f"worker-{os.getpid()}-{number}.prof")


if os.environ.get("VIEWPOINT_BENCH_PROFILE"):
    app.wsgi_app = _Profiled(app.wsgi_app,  # type: ignore[method-assign]
                             Path(os.environ["VIEWPOINT_BENCH_PROFILE"]))
