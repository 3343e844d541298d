"""What staff see about individual children: caseloads, children's records, sending
questionnaires, reading responses and acting on alerts.

Every page here needs ``casework.read`` (social workers, team managers, reviewing
officers); what each person may see within that is decided in ``auth.permissions``.
"""

from __future__ import annotations

from flask import Blueprint

from ..auth.permissions import restrict_blueprint

bp = Blueprint("casework", __name__, url_prefix="/casework")
restrict_blueprint(bp, "casework.read")


@bp.after_request
def _never_cache(response):  # type: ignore[no-untyped-def]
    # Children's records must not linger in a shared laptop's cache or back button.
    response.headers["Cache-Control"] = "no-store"
    return response


# The views register themselves on ``bp``.
from . import (  # noqa: E402
    alert_views,
    child_views,
    import_views,
    invitation_views,
    record_views,
    response_views,
)

__all__ = ["alert_views", "bp", "child_views", "import_views", "invitation_views",
           "record_views", "response_views"]
