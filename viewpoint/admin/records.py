"""The records manager's pages: the retention schedule, legal holds, and producing
everything held about a child for a subject access request (any child, by reference: the
request may come to the council, not to the child's team).

The rules and their audit events are in ``operations/retention.py``; the export is made by
``records/subject_access_files.py``, as on a manager's page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..extensions import db
from ..models import AuditEvent, Child, LegalHold, PlanKind, User
from ..operations import Refusal, retention
from ..questionnaires.library import served
from ..records.subject_access import SubjectAccessForm
from ..records.subject_access_files import produce
from .views import bp


class PeriodForm(FlaskForm):
    years = IntegerField(_l("Years"), validators=[
        InputRequired(_l("Give a number of years.")), NumberRange(0, retention.MOST_YEARS)])
    counted_from = SelectField(_l("Counted from"))
    reason = TextAreaField(_l("Why (the law or policy it follows)"),
                           validators=[Length(max=2000)])


class HoldForm(FlaskForm):
    reference = StringField(
        _l("Child's reference"),
        description=_l("Leave empty to hold every record (for example when a public inquiry "
                       "asks councils not to destroy anything)."),
        validators=[Optional(), Length(max=40)])
    reason = TextAreaField(_l("Why the records must be kept"), validators=[
        InputRequired(_l("Say why the records must be kept (the inquiry, claim or "
                         "request).")), Length(max=2000)])


class FindChildForm(FlaskForm):
    class Meta:
        csrf = False  # a search: it changes nothing

    reference = StringField(_l("Child's reference"), validators=[Optional(), Length(max=40)])


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _last_runs() -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("retention.run", "retention.dry_run")))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(3)))


def _show_retention(hold_form: HoldForm | None = None, status: int = 200,
                    problem: str | None = None):  # type: ignore[no-untyped-def]
    periods = retention.schedule(db.session)
    # One section per kind of plan: its records, how long each is kept, and the default's
    # reason once (a period the council set shows its own reason).
    sections = []
    for kind in (*(kind.value for kind in PlanKind), retention.ANY_PLAN):
        rows = [(record, periods[record, kind]) for record in retention.RECORD_TYPES
                if (record, kind) in periods]
        reasons = sorted({str(retention.DEFAULTS[record, kind].reason) for record, _ in rows})
        sections.append((kind, rows, reasons))
    holds = retention.active_holds(db.session)
    return render_template(
        "admin/retention.html", sections=sections, labels=retention.RECORD_LABELS,
        plan_labels=_plan_labels(), holds=holds, hold_form=hold_form or HoldForm(),
        runs=_last_runs(), problem=problem), status


def _plan_labels() -> dict[str, str]:
    return {kind.value: kind.label for kind in PlanKind} | {
        retention.ANY_PLAN: str(_l("Not kept against a plan"))}


@bp.get("/retention")
def retention_schedule():  # type: ignore[no-untyped-def]
    return _show_retention()


@bp.route("/retention/<record_type>/<plan_kind>", methods=["GET", "POST"])
def retention_period(record_type: str, plan_kind: str):  # type: ignore[no-untyped-def]
    periods = retention.schedule(db.session)
    period = periods.get((record_type, plan_kind))
    if period is None:
        abort(404)
    form = PeriodForm(data={"years": period.years, "counted_from": period.counted_from,
                            "reason": "" if period.default else period.reason}
                      if request.method == "GET" else None)
    form.counted_from.choices = [
        SelectChoice(key, label) for key, label in retention.COUNTED_FROM.items()
        if (key == "event") == (plan_kind == retention.ANY_PLAN)]
    if form.validate_on_submit():
        try:
            retention.set_period(db.session, record_type, plan_kind, form.years.data or 0,
                                 form.counted_from.data or "", form.reason.data or "", _user())
        except Refusal as refused:
            target = getattr(form, refused.field or "", None) or form.years
            target.errors = [refused.message]
        else:
            flash(_("The period is saved. The next run of the schedule follows it."))
            return redirect(url_for("admin.retention_schedule"))
    default = retention.DEFAULTS[record_type, plan_kind]
    return render_template("admin/retention_period.html", form=form, period=period,
                           default=default, label=retention.RECORD_LABELS[record_type],
                           plan_label=_plan_labels()[plan_kind]), \
        400 if request.method == "POST" else 200


def _child_named_in(field: StringField) -> Child | None:
    """The child whose reference is typed in ``field`` (None when it is empty; when no child
    has it, the field says so)."""
    if not field.data or not field.data.strip():
        return None
    child = db.session.scalar(select(Child).where(Child.reference == field.data.strip()))
    if child is None:
        field.errors = [_("No child has that reference.")]
    return child


@bp.post("/holds")
def place_hold():  # type: ignore[no-untyped-def]
    form = HoldForm()
    if not form.validate_on_submit():
        return _show_retention(form, 400)
    child = _child_named_in(form.reference)
    if form.reference.errors:
        return _show_retention(form, 400)
    try:
        retention.place_hold(db.session, child, form.reason.data or "", _user())
    except Refusal as refused:
        form.reason.errors = [refused.message]
        return _show_retention(form, 400)
    flash(_("The hold is in place: nothing it covers will be destroyed until it is lifted."))
    return redirect(url_for("admin.retention_schedule"))


@bp.post("/holds/<int:hold_id>/lift")
def lift_hold(hold_id: int):  # type: ignore[no-untyped-def]
    hold = db.session.get(LegalHold, hold_id)
    if hold is None:
        abort(404)
    retention.lift_hold(db.session, hold, _user())
    flash(_("The hold is lifted."))
    return redirect(url_for("admin.retention_schedule"))


@bp.route("/subject-access", methods=["GET", "POST"])
def subject_access():  # type: ignore[no-untyped-def]
    finder = FindChildForm(request.args)
    child = _child_named_in(finder.reference)
    form = SubjectAccessForm()
    if child is not None and form.validate_on_submit():
        kind = "json" if request.form.get("format") == "json" else "pdf"
        return produce(db.session, served(), child,
                       _user(), form, kind)
    if request.method == "POST" and child is None:
        abort(404)
    return render_template("admin/subject_access.html", finder=finder, child=child, form=form), \
        400 if request.method == "POST" or finder.reference.errors else 200
