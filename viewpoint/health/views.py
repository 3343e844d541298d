from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The app's and the database's state as JSON: 200 when both work, 503 otherwise."""
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
                "questionnaires": len(current_app.extensions["viewpoint.questionnaires"]
                                      .questionnaires)},
        "database": database,
    }
    return jsonify(body), 200 if healthy else 503
