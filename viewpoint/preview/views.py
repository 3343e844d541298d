from __future__ import annotations

from flask import Blueprint, abort, render_template

from ..questionnaires import BANDS, Catalogue
from ..questionnaires.library import served
from ..questionnaires.snapshot import render

bp = Blueprint("preview", __name__, url_prefix="/questionnaires")


def _catalogue() -> Catalogue:
    return served()


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Every questionnaire, what it is for and how many questions each band is asked."""
    return render_template("preview/index.html", catalogue=_catalogue(), bands=BANDS)


@bp.get("/<questionnaire_id>/<band>")
def questionnaire(questionnaire_id: str, band: str):  # type: ignore[no-untyped-def]
    """One questionnaire as one band sees it, in English, with what each answer sets off."""
    definition = _catalogue().get(questionnaire_id)
    if definition is None or band not in definition.bands:
        abort(404)
    content = render(definition, band, "en", translate=lambda _context, message: message)
    return render_template("preview/questionnaire.html", definition=definition, band=BANDS[band],
                           content=content, indicators=_catalogue().indicators)

