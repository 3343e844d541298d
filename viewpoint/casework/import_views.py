"""Importing children, plans and reviews from a case-management export (team managers only).

The page takes one CSV file and either checks it ("check only": nothing is saved) or
imports it. Both read the whole file first; an import with any bad row saves nothing.
The reading and checking live in :mod:`.csv_import`; the rules a row must meet, and the
writing, in :mod:`viewpoint.operations.children`, the same as for the staff forms.
"""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from .. import audit
from ..auth.permissions import require
from ..extensions import db
from ..models import Team
from . import bp, csv_import


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"),
                     validators=[FileRequired(_l("Choose the CSV file to check or import."))])
    # Listed first, so that pressing Enter only checks.
    check = SubmitField(_l("Check only"))
    confirm = SubmitField(_l("Import"))


def _importers_team() -> Team:
    """The team an import goes into: always the manager's own (403 for a manager without one)."""
    team = current_user.team
    if team is None:
        abort(403)
    return team


def _page(form: ImportForm, team: Team, **result: object) -> str:
    return render_template("casework/import.html", form=form, team=team,
                           columns=csv_import.COLUMNS, max_rows=csv_import.MAX_ROWS,
                           changes_shown=csv_import.CHANGES_SHOWN, **result)


@bp.route("/import", methods=["GET", "POST"])
@require("casework.import")
def import_children():  # type: ignore[no-untyped-def]
    team = _importers_team()
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, team), 400 if form.is_submitted() else 200
    data = form.file.data.read(csv_import.MAX_BYTES + 1)
    check = csv_import.check_import(db.session, data, team=team)
    if not form.confirm.data:
        audit.record("import.checked", detail={**check.audit_detail(), "team_id": team.id})
        return _page(form, team, check=check, importing=False), 200
    if not check.ok:
        # Nothing has been written; the error status rolls the request back all the same.
        return _page(form, team, check=check, importing=True), 400
    # Writes the records and the "import.applied" audit event with the same counts.
    csv_import.apply_import(db.session, check, team=team)
    return _page(form, team, check=check, importing=True), 200


@bp.route("/import/example.csv")
@require("casework.import")
def import_example():  # type: ignore[no-untyped-def]
    return Response(csv_import.example_csv(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="viewpoint-import-example.csv"'})
