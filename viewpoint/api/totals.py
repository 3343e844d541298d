"""The dashboards' published figures for the council's systems: the same tables the panel's
pages show and offer as CSV files, made by the same code (``published/panel.py``), so a
token can never read more than a panel member can. Counts are rounded by the cell key
method, small groups withheld (``[c]``), periods not yet published marked ``[x]``.
Totals are anonymised and council-wide, so a token's team limit does not narrow them."""

from __future__ import annotations

from flask import current_app, request

from ..extensions import db
from ..periods import Period
from ..problems import FieldError, Problem
from ..published import panel
from ..published.measures import Measures
from ..published.releases import SETTLE_DAYS
from ..published.tables import WITHHELD, csv_notes
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from . import bp
from .access import needs

#: The tables, by the names their CSV files have on the dashboards.
TABLES = ("headline", "trend", "breakdown", "coverage_team", "coverage_kind", "group")


def _cell(value: object) -> object:
    return WITHHELD if value is None else value


@bp.get("/totals/<table>")
@needs("totals:read")
def totals(table: str):  # type: ignore[no-untyped-def]
    if table not in TABLES:
        raise Problem("not-found", f"There is no table called '{table}'. Tables: "
                      f"{', '.join(TABLES)}.")
    catalogue: Catalogue = served()
    measures = Measures(db.session, catalogue, current_app.config["DASHBOARD_MIN_CHILDREN"],
                        before_writing=db.take_write_lock)
    periods: list[Period] = measures.periods_with_data()
    filters = panel.parse_filters(request.args, periods, catalogue,
                                  panel.default_period(measures, periods))
    if filters.problems:
        raise Problem("invalid-request", "A query parameter is not one the dashboards offer.",
                      [FieldError("#/query", problem) for problem in filters.problems])
    found = panel.tables_of(panel.read(measures, filters), filters, catalogue).get(table)
    if found is None:
        raise Problem("not-found", "This dashboard has no such table (the group table needs "
                      "?group=, the kind-of-plan coverage table needs more than one kind).")
    return {"table": table, "period": filters.period.key, "plans": filters.plans,
            "indicator": filters.indicator, "by": filters.by,
            "group": ":".join(filters.group) if filters.group else None,
            "caption": found.caption, "summary": found.summary,
            "columns": list(found.headers),
            "rows": [[_cell(cell) for cell in row] for row in found.rows],
            "notes": [{"symbol": symbol, "meaning": meaning} for symbol, meaning
                      in csv_notes(measures.threshold, SETTLE_DAYS)],
            "published": measures.is_published(filters.period)}
