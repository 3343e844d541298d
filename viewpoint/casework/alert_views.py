"""Safeguarding alerts: the list, one alert, acknowledging it, closing it with what was done."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.permissions import alert_or_404, require
from ..extensions import db
from ..operations.alerts import AlertError, acknowledge_alert, close_alert
from . import bp, services
from .forms import CloseAlertForm, ConfirmForm


@bp.route("/alerts")
def alerts():  # type: ignore[no-untyped-def]
    open_alerts = services.open_alerts(db.session, current_user)
    # Who must act on each: the child's allocated social worker and their team's managers,
    # as the alert's own page and the emails name them (one query per team on the list).
    managers = {team_id: services.team_managers(db.session, team_id)
                for team_id in sorted({alert.child.team_id for alert in open_alerts})}
    return render_template("casework/alerts.html", open_alerts=open_alerts,
                           closed=services.recently_closed_alerts(db.session, current_user),
                           is_overdue=services.is_overdue, managers=managers)


@bp.route("/alerts/<int:alert_id>")
def alert(alert_id: int):  # type: ignore[no-untyped-def]
    record = alert_or_404(db.session, alert_id)
    audit.record("alert.viewed", child_id=record.child_id, subject=record)
    return _page(record, CloseAlertForm())


def _page(record, form: CloseAlertForm, status: int = 200):  # type: ignore[no-untyped-def]
    managers = services.team_managers(db.session, record.child.team_id)
    return render_template("casework/alert.html", alert=record, form=form,
                           confirm=ConfirmForm(), managers=managers,
                           overdue=services.is_overdue(record)), status


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"],
          endpoint="acknowledge_alert")
@require("casework.act")
def acknowledge(alert_id: int):  # type: ignore[no-untyped-def]
    record = alert_or_404(db.session, alert_id)
    if ConfirmForm().validate_on_submit() and acknowledge_alert(record, current_user):
        flash(_("Alert acknowledged. Close it when you have acted, saying what was done."))
    return redirect(url_for("casework.alert", alert_id=record.id))


@bp.route("/alerts/<int:alert_id>/close", methods=["POST"], endpoint="close_alert")
@require("casework.act")
def close(alert_id: int):  # type: ignore[no-untyped-def]
    record = alert_or_404(db.session, alert_id)
    form = CloseAlertForm()
    if record.closed_at is None and not form.validate_on_submit():
        return _page(record, form, 400)
    try:
        close_alert(record, current_user, form.action_taken.data or "")
    except AlertError as refused:
        # A second click, or someone else closed it first: nothing to do, nothing lost.
        flash(str(refused))
        return redirect(url_for("casework.alert", alert_id=record.id))
    flash(_("Alert closed. What was done is recorded on the child's timeline."))
    return redirect(request.args.get("next") == "list" and url_for("casework.alerts")
                    or url_for("casework.alert", alert_id=record.id))
