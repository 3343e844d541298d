"""Dashboard pages: the panel's dashboard, its CSV files, the Children in Care Council's view
and a manager's list of children with no views gathered lately."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit
from ..auth.permissions import require
from ..extensions import db
from ..periods import YEAR, Period, year_of
from ..published import panel, tables
from ..published.measures import BREAKDOWN_LABELS, BREAKDOWNS, PLAN_SET_LABELS, Measures
from ..published.panel import Filters, default_period, parse_filters
from ..published.releases import SETTLE_DAYS
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from . import bp, figures, services

#: The indicators the Children in Care Council's view shows, in its own words.
COUNCIL_MEASURES = {
    # Translators: these end the sentence "About 7 in 10 of you said you ...".
    "safe_home": _l("feel safe where you live"),
    "settled_home": _l("feel settled where you live"),
    "trusted_adult": _l("have an adult you trust"),
    "listened_to": _l("feel listened to"),
    "worker_knows_me": _l("feel your worker knows you"),
    "happiness": _l("are happy (7 or more out of 10)"),
}


def _catalogue() -> Catalogue:
    return served()


def _measures() -> Measures:
    return Measures(db.session, _catalogue(), current_app.config["DASHBOARD_MIN_CHILDREN"],
                    before_writing=db.take_write_lock)


def _dashboard(measures: Measures, filters: Filters, charts: bool = True) -> dict[str, Any]:
    """Every table on the dashboard for these filters (made below the screens, so the API's
    totals are the same ones), and (unless ``charts`` is False, as for a CSV download)
    every chart."""
    data = panel.read(measures, filters)
    result: dict[str, Any] = panel.tables_of(data, filters, _catalogue())
    if charts:
        coverage = data.coverage
        result.update(
            headline_chart=figures.headline_chart(data.headline),
            trend_chart=figures.trend_chart(data.trend),
            breakdown_chart=figures.breakdown_chart(data.bars),
            coverage_chart=figures.coverage_chart(
                [(coverage.team_names.get(team, team), figure)
                 for team, figure in coverage.by_team] + [(_("All teams"), coverage.total)]),
            group_chart=figures.group_chart(data.group_rows, data.group_label)
            if filters.group else None)
    return result


def _group_choices(measures: Measures, filters: Filters) -> list[tuple[str, list[tuple[str, str]]]]:
    lattice = measures.lattice(filters.period, filters.indicator)
    choices = []
    for dimension in BREAKDOWNS:
        values = lattice.values(dimension)
        choices.append((str(BREAKDOWN_LABELS[dimension]),
                        [(f"{dimension}:{value}", measures.value_label(dimension, value))
                         for value in values]))
    return choices


def _filters(measures: Measures, periods: list[Period]) -> Filters:
    return parse_filters(request.args, periods, _catalogue(), default_period(measures, periods))


@bp.route("/")
@require("dashboards.view")
def index():  # type: ignore[no-untyped-def]
    measures = _measures()
    periods = measures.periods_with_data()
    filters = _filters(measures, periods)
    return render_template(
        "dashboards/index.html", filters=filters, periods=periods, measures=measures,
        dashboard=_dashboard(measures, filters), group_choices=_group_choices(measures, filters),
        indicators=_catalogue().indicators, plan_sets=PLAN_SET_LABELS,
        breakdowns=BREAKDOWN_LABELS, threshold=measures.threshold, settle_days=SETTLE_DAYS)


@bp.route("/method")
@require("dashboards.view")
def method():  # type: ignore[no-untyped-def]
    """How the figures are protected, in words for the panel."""
    return render_template("dashboards/method.html", settle_days=SETTLE_DAYS,
                           threshold=current_app.config["DASHBOARD_MIN_CHILDREN"])


#: The tables that can be downloaded, by the name in their address.
DOWNLOADS = ("headline", "trend", "breakdown", "group", "coverage-team", "coverage-kind")


@bp.route("/<any(" + ", ".join(f'"{name}"' for name in DOWNLOADS) + "):table>.csv")
@require("dashboards.view")
def download(table: str):  # type: ignore[no-untyped-def]
    measures = _measures()
    filters = _filters(measures, measures.periods_with_data())
    found = _dashboard(measures, filters, charts=False).get(table.replace("-", "_"))
    if found is None:
        return Response(_("Choose a group to compare first.") + "\n", status=404,
                        mimetype="text/plain")
    name = f"viewpoint-{table}-{filters.period.key}-{filters.plans}.csv"
    notes = tables.csv_notes(measures.threshold, SETTLE_DAYS)
    return Response(found.csv(notes), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/council")
@require("dashboards.council")
def council():  # type: ignore[no-untyped-def]
    """The Children in Care Council's view: children in care and care leavers, the latest year,
    in plain words, with "you said, we did" examples a manager approved."""
    measures = _measures()
    periods = measures.periods_with_data()
    years = [p for p in periods if p.kind == YEAR]
    filters = parse_filters(request.args, years, _catalogue(), next(
        (p for p in years if measures.is_published(p)), year_of(measures.today)))
    filters.plans = "in_care"
    period = filters.period
    bars = []
    for indicator, words in COUNCIL_MEASURES.items():
        if indicator in _catalogue().indicators:
            bars.append((indicator, str(words),
                         measures.lattice(period, indicator).figure("in_care")))
    coverage = measures.coverage(period, "in_care")
    return render_template(
        "dashboards/council.html", period=period, periods=years, measures=measures,
        filters=filters, bars=bars,
        chart=figures.council_chart([(words.capitalize(), figure)
                                     for _key, words, figure in bars]),
        coverage=coverage.total, examples=services.shared_examples(db.session),
        threshold=measures.threshold)


@bp.route("/no-views")
@require("dashboards.no_views")
def no_views():  # type: ignore[no-untyped-def]
    """A manager's own team: children with an open plan and no views gathered in six months."""
    since = date.today() - timedelta(days=183)
    page = services.children_without_views(db.session, current_user.team_id, since)
    audit.record("dashboards.no_views_list", detail={"children": page.total})
    return render_template("dashboards/no_views.html", page=page, since=since)
