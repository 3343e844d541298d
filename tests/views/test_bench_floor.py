"""The benchmarks' floor (``benchmarks/floor_app.py``): the one-insert route every web load
test is measured against must keep answering as the app's own rules change."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks.web import server_env
from tests.support import migrate


def test_the_floor_route_stores_one_row_per_request(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'floor.sqlite3'}"
    migrate(url)
    for name, value in server_env(url, tmp_path / "instance").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "benchmarks.floor_app", raising=False)
    floor = importlib.import_module("benchmarks.floor_app")
    try:
        client = floor.app.test_client()
        for number in range(3):
            answer = client.post("/_bench/floor", data=b'{"n": %d}' % number,
                                 headers={"Content-Type": "application/json"})
            assert (answer.status_code, answer.get_json()) == (200, {"status": "saved"})
        # Every other page still asks for a sign-in.
        assert client.get("/casework/").status_code in (302, 401)
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM bench_floor")).scalar() == 3
        engine.dispose()
    finally:
        floor.app.extensions["viewpoint.engine"].dispose()
        sys.modules.pop("benchmarks.floor_app", None)
