"""Writing the council's questionnaires: versions, workbooks, a page editor, translations
and recordings, indicators. No child's data.

Every page needs ``questionnaires.author`` (administrators and questionnaire authors).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..auth.permissions import restrict_blueprint

bp = Blueprint("authoring", __name__, url_prefix="/authoring")
restrict_blueprint(bp, "questionnaires.author")


@bp.after_request
def _never_cache(response: Any) -> Any:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


from . import editor, languages, views  # noqa: E402  (they add their pages to bp)

__all__ = ["bp", "editor", "languages", "views"]
