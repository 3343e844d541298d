"""The ``respond`` blueprint and the rules it keeps for its own pages only.

Nothing here reaches beyond the child's pages: what every page's templates need (read
aloud links, the page's messages and controls) is registered by ``create_app``, and the
language a page is in is decided by ``i18n.select_locale``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for
from flask_wtf.csrf import CSRFError

bp = Blueprint("respond", __name__)


@bp.after_request
def _never_cache(response):  # type: ignore[no-untyped-def]
    # A shared tablet's back button must show nothing after the child has finished.
    if request.endpoint in ("respond.audio", "respond.service_worker"):
        return response  # the same for every child: fine to keep
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(CSRFError)
def _stale_form(error: CSRFError):  # type: ignore[no-untyped-def]
    """A form older than the session it came from (a double tap after finishing, a page left
    open across a session's end): nothing is changed, and the child is told kindly.

    Flask finds this handler for a form refused before the view runs (the CSRF check is
    the app's ``before_request``) because the address has already told it the blueprint.
    """
    if request.is_json:
        return jsonify(status="signed_out", reason="stale"), 401
    return redirect(url_for("respond.start", why="stale"))
