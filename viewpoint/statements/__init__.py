"""Statements the council publishes about the service, open to anyone: the accessibility
statement the public sector accessibility regulations require. (The children's privacy
notice is one of the children's own pages, in their band's words and their language.)"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request

bp = Blueprint("statements", __name__)

#: When this statement was prepared and last reviewed, and when the service was last tested
#: (every change is tested with axe-core in Chromium: ``tests/browser``). Change them when
#: the statement is reviewed.
PREPARED_ON = date(2026, 12, 3)
REVIEWED_ON = date(2026, 12, 3)


@bp.get("/accessibility")
def accessibility():  # type: ignore[no-untyped-def]
    """The accessibility statement, in the regulations' format."""
    return render_template(
        "statements/accessibility.html",
        council=current_app.config.get("COUNCIL_NAME"),
        contact=current_app.config.get("ACCESSIBILITY_CONTACT"),
        address=current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/"),
        prepared_on=PREPARED_ON, reviewed_on=REVIEWED_ON)
