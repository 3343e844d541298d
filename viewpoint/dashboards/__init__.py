"""Anonymised dashboards for the Corporate Parenting Panel, the safeguarding partnership and
the Children in Care Council: totals kept up to date as children answer, disclosure control
so that no child can be recognised, and the charts.

Every page here needs ``dashboards.view`` or a narrower action; nothing here reads a child's
answers. A period is published from the totals in ``indicator_total`` and ``coverage_total``
once it has ended (``releases.py``); pages read only its stored, protected counts.
"""

from __future__ import annotations

import click
from flask import Blueprint
from flask.cli import with_appcontext

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@bp.after_request
def _private_cache(response):  # type: ignore[no-untyped-def]
    # Totals are not personal data, but they are not for a shared browser's cache either.
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@click.group("dashboards")
def dashboards_cli() -> None:
    """The dashboards' totals."""


@dashboards_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute every dashboard total from the responses and reviews stored."""
    from ..extensions import db
    from ..operations.totals import rebuild

    with db.writing() as session:
        counts = rebuild(session)
    click.echo(", ".join(f"{value} {name}" for name, value in counts.items()))


# The views register themselves on ``bp``.
from . import views  # noqa: E402, F401
