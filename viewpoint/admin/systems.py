"""Connected systems: the service accounts the council's other systems call the API with.

An administrator names the system, chooses what it may do and whose children it may see,
and is shown its token once. Withdrawing a token stops it at once. The operations (and
their audit events) are in ``operations/service_accounts.py``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, func, select
from wtforms import IntegerField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, NumberRange

from ..extensions import db
from ..models import ServiceAccount, Team, WebhookDelivery, WebhookSubscription, utcnow
from ..operations import service_accounts as accounts
from ..operations import webhooks
from ..operations.service_accounts import ServiceAccountProblem
from ..security import row_id
from .views import _show_problem, _teams, bp


class Checkboxes(SelectMultipleField):
    """Several choices as a list of tick boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SystemForm(FlaskForm):
    name = StringField(_l("Name of the system"), validators=[
        InputRequired(_l("Give the system a name people will recognise.")),
        Length(max=accounts.NAME_MAX)])
    scopes = Checkboxes(_l("What it may do"))
    teams = Checkboxes(_l("Whose children it may see"), coerce=row_id)
    days = IntegerField(_l("Days until the token stops working"), default=accounts.DEFAULT_DAYS,
                        validators=[InputRequired(_l("Say how many days the token lasts.")),
                                    NumberRange(1, accounts.LONGEST_DAYS)])
    calls_per_minute = IntegerField(
        _l("Calls a minute it may make"), default=accounts.DEFAULT_CALLS_PER_MINUTE,
        validators=[InputRequired(_l("Say how many calls a minute it may make.")),
                    NumberRange(1, accounts.MOST_CALLS_PER_MINUTE)])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scopes.choices = [(name, str(label)) for name, label in accounts.SCOPES.items()]
        self.teams.choices = [(team.id, team.name) for team in _teams()]


def _account_or_404(account_id: int) -> ServiceAccount:
    found = db.session.get(ServiceAccount, account_id)
    if found is None:
        abort(404)
    return found


@bp.route("/systems")
def systems():  # type: ignore[no-untyped-def]
    teams = {team.id: team.name for team in _teams()}
    return render_template("admin/systems.html",
                           systems=accounts.list_service_accounts(db.session), teams=teams,
                           scopes=accounts.SCOPES, form=FlaskForm(), now=utcnow())


@bp.route("/systems/new", methods=["GET", "POST"])
def new_system():  # type: ignore[no-untyped-def]
    form = SystemForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            made = accounts.create_service_account(
                db.session, name=form.name.data or "", scopes=list(form.scopes.data or []),
                team_ids=[team for team in form.teams.data or [] if team is not None],
                days=form.days.data or 0, calls_per_minute=form.calls_per_minute.data or 0,
                actor=current_user._get_current_object())
        except ServiceAccountProblem as problem:
            problems = _show_problem(form, problem)  # type: ignore[arg-type]
        else:
            teams = list(db.session.scalars(select(Team.name).where(
                Team.id.in_(made.account.team_ids)).order_by(Team.name)))
            return render_template("admin/system_token.html", account=made.account,
                                   token=made.token, teams=teams, scopes=accounts.SCOPES), 201
    status = 400 if request.method == "POST" else 200
    return render_template("admin/system_form.html", form=form, problems=problems), status


@bp.route("/systems/<int:account_id>/withdraw", methods=["POST"])
def withdraw_system(account_id: int):  # type: ignore[no-untyped-def]
    account = _account_or_404(account_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    if accounts.revoke_service_account(db.session, account,
                                       actor=current_user._get_current_object()):
        flash(_("The token of %(name)s no longer works.", name=account.name))
    return redirect(url_for("admin.systems"))


# --- webhooks -----------------------------------------------------------------------------------

class WebhookForm(FlaskForm):
    url = StringField(_l("Address events are sent to"), validators=[
        InputRequired(_l("Enter the full address the system receives events at, starting "
                         "https://.")), Length(max=webhooks.URL_MAX)])
    events = Checkboxes(_l("Events to send"))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.events.choices = [(name, str(label)) for name, label in webhooks.EVENTS.items()]


def _deliveries(subscription_ids: list[int]) -> dict[int, tuple[int, int, str | None]]:
    """Per subscription: events waiting, of which failing, and the last error."""
    if not subscription_ids:
        return {}
    rows = db.session.execute(
        select(WebhookDelivery.subscription_id, func.count(),
               func.count(case((WebhookDelivery.attempts > 0, 1))),
               func.max(WebhookDelivery.last_error))
        .where(WebhookDelivery.subscription_id.in_(subscription_ids),
               WebhookDelivery.delivered_at.is_(None))
        .group_by(WebhookDelivery.subscription_id)).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


@bp.route("/systems/<int:account_id>/webhooks", methods=["GET", "POST"])
def system_webhooks(account_id: int):  # type: ignore[no-untyped-def]
    account = _account_or_404(account_id)
    form = WebhookForm()
    problems: list[str] = []
    if account.revoked_at is None and form.validate_on_submit():
        try:
            made = webhooks.subscribe(db.session, account, url=form.url.data or "",
                                      events=list(form.events.data or []),
                                      actor=current_user._get_current_object())
        except webhooks.WebhookProblem as problem:
            problems = _show_problem(form, problem)  # type: ignore[arg-type]
        else:
            return render_template("admin/webhook_secret.html", account=account,
                                   subscription=made.subscription, secret=made.secret,
                                   events=webhooks.EVENTS), 201
    subscriptions = list(db.session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.service_account_id == account.id,
        WebhookSubscription.removed_at.is_(None)).order_by(WebhookSubscription.id)))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/webhooks.html", account=account, form=form,
                           problems=problems, subscriptions=subscriptions,
                           waiting=_deliveries([s.id for s in subscriptions]),
                           events=webhooks.EVENTS, remove_form=FlaskForm()), status


@bp.route("/webhooks/<int:subscription_id>/remove", methods=["POST"])
def remove_webhook(subscription_id: int):  # type: ignore[no-untyped-def]
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if webhooks.unsubscribe(db.session, subscription, actor=current_user._get_current_object()):
        flash(_("Events are no longer sent to %(url)s.", url=subscription.url))
    return redirect(url_for("admin.system_webhooks",
                            account_id=subscription.service_account_id))
