from __future__ import annotations

from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..extensions import db
from ..migrations import alembic_config
from ..models import Role
from ..questionnaires.library import served

bp = Blueprint("health", __name__)


#: Addresses a request comes from when it is made on the server itself (a load balancer's
#: probe on the same machine, an administrator's curl).
_LOCAL = frozenset({"127.0.0.1", "::1"})


def _may_see_details() -> bool:
    # Versions and schema revisions tell an attacker which weaknesses to try: strangers get
    # only up or down.
    if request.remote_addr in _LOCAL:
        return True
    return bool(current_user.is_authenticated
                and getattr(current_user, "role", None) is Role.ADMINISTRATOR)


def _questionnaires_served() -> int | None:
    """How many questionnaires children are served; None if the database cannot say (its
    schema is older than the app's)."""
    try:
        return len(served().questionnaires)
    except SQLAlchemyError:
        db.session.rollback()
        return None


@lru_cache(maxsize=1)
def _this_builds_revisions() -> tuple[str, frozenset[str]]:
    """The schema revision this build migrates to, and every revision it knows."""
    scripts = ScriptDirectory.from_config(alembic_config(db.engine))
    return scripts.get_current_head() or "", frozenset(
        revision.revision for revision in scripts.walk_revisions())


def _schema(revision: str | None) -> str:
    """Where the database's schema stands for this build: ``current``; ``ahead`` (a newer
    build has migrated it, with expand-only steps this build still runs on, as in a rolling
    upgrade); or ``behind`` (``viewpoint db upgrade`` has not been run for this build)."""
    head, known = _this_builds_revisions()
    if revision == head:
        return "current"
    return "behind" if revision is None or revision in known else "ahead"


@bp.get("/livez")
def livez():  # type: ignore[no-untyped-def]
    """Liveness: the process answers. Touches no database, so a database outage never makes
    a supervisor restart app servers that would work again the moment it is back."""
    return jsonify(status="ok")


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Readiness, as JSON: 200 when the database answers and its schema is this build's (or
    a newer build's, mid-upgrade), 503 otherwise, so that a load balancer sends no request
    to a server that cannot serve it. Anyone gets the status; the version and the
    database's details only a request from the server itself or a signed-in
    administrator."""
    database: dict[str, object] = {"backend": db.engine.dialect.name}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        database.update(status="ok", schema_revision=revision, schema=_schema(revision),
                        expected_revision=_this_builds_revisions()[0])
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check: database unavailable: %s", exc)
        database.update(status="unavailable")
    healthy = database["status"] == "ok" and database["schema"] != "behind"
    body = {
        "status": "ok" if healthy else "degraded",
        "app": {"name": "viewpoint", "version": __version__,
                "questionnaires": _questionnaires_served() if healthy else None},
        "database": database,
    }
    if not _may_see_details():
        body = {"status": body["status"]}
    return jsonify(body), 200 if healthy else 503
