"""/healthz tells a load balancer (and a person) whether the app and database work."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support import make_config
from viewpoint import create_app


def test_healthz_reports_app_and_database(client, backend: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["app"]["name"] == "viewpoint"
    assert body["app"]["questionnaires"] == 4
    assert body["database"] == {"backend": backend, "status": "ok", "schema_revision": "0013",
                                "schema": "current", "expected_revision": "0013"}


def test_livez_answers_without_the_database(tmp_path: Path) -> None:
    """Liveness never depends on the database: an outage must not restart app servers."""
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
    app = create_app(make_config(url, tmp_path))
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    alive = client.get("/livez")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}


@pytest.mark.parametrize(("revision", "ready", "schema"), [
    ("0012", 503, "behind"),  # this build's migration has not been run yet
    ("0013", 200, "current"),
    ("0014", 200, "ahead"),  # a newer build migrated it first (a rolling upgrade)
])
def test_a_server_is_ready_only_on_a_schema_it_can_run_on(
        fresh_database: str, tmp_path: Path, revision: str, ready: int, schema: str) -> None:
    app = create_app(make_config(fresh_database, tmp_path))
    engine = app.extensions["viewpoint.engine"]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) "
                                "NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
    response = app.test_client().get("/healthz")
    assert response.status_code == ready
    assert response.get_json()["database"]["schema"] == schema
    assert response.get_json()["status"] == ("ok" if ready == 200 else "degraded")
    engine.dispose()


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
    app = create_app(make_config(url, tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["status"] == "unavailable"
    assert response.get_json()["status"] == "degraded"


def test_healthz_answers_503_before_the_database_is_migrated(fresh_database: str,
                                                             tmp_path: Path) -> None:
    app = create_app(make_config(fresh_database, tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    app.extensions["viewpoint.engine"].dispose()


def test_a_stranger_learns_only_up_or_down(app, client, session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_user
    from tests.staff import sign_in
    from viewpoint.models import Role

    stranger = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert stranger.status_code == 200 and stranger.get_json() == {"status": "ok"}
    worker = app.test_client()
    sign_in(worker, make_user(session, Role.SOCIAL_WORKER), session)
    assert worker.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_json() == {
        "status": "ok"}
    admin = app.test_client()
    sign_in(admin, make_user(session, Role.ADMINISTRATOR), session)
    details = admin.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_json()
    assert details["database"]["status"] == "ok" and "version" in details["app"]
