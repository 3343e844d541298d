from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..extensions import db
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


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The app's and the database's state as JSON: 200 when both work, 503 otherwise.
    Anyone gets the status; the version and the database's details only a request from the
    server itself or a signed-in administrator."""
    database: dict[str, object] = {"backend": db.engine.dialect.name}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        database.update(status="ok", schema_revision=revision)
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check: database unavailable: %s", exc)
        database.update(status="unavailable")
    healthy = database["status"] == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "app": {"name": "viewpoint", "version": __version__,
                "questionnaires": _questionnaires_served() if healthy else None},
        "database": database,
    }
    if not _may_see_details():
        body = {"status": body["status"]}
    return jsonify(body), 200 if healthy else 503
