"""Caseloads and children's records: plans, reviews and everything about the child's views."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import audit
from ..auth.permissions import (
    child_or_404,
    plan_or_404,
    require,
    review_or_404,
)
from ..extensions import db
from ..i18n import language_label
from ..models import (
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Role,
    ServiceAccount,
    User,
)
from ..operations import children
from . import bp, services
from .forms import ChildForm, PlanForm, ReviewForm, options


@bp.context_processor
def _casework_helpers() -> dict[str, object]:
    # Only casework's own pages use these; the staff navigation's helpers are app-wide
    # (create_app registers them).
    return {"language_label": language_label, "audit_label": audit.label}


@bp.route("/")
def caseload():  # type: ignore[no-untyped-def]
    rows = services.caseload(db.session, current_user)
    alerts = services.open_alerts(db.session, current_user)
    return render_template("casework/caseload.html", rows=rows, alerts=alerts,
                           today=date.today(), is_overdue=services.is_overdue)


@bp.route("/children/<int:child_id>")
def child(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    audit.record("child.viewed", child_id=record.id, subject=record)
    plans = list(db.session.scalars(select(Plan).where(Plan.child_id == record.id)
                                    .order_by(Plan.started_on.desc())))
    views = {review.id: services.views_for_review(db.session, review)
             for plan in plans for review in plan.reviews if review.held_on is None}
    return render_template("casework/child.html", child=record, plans=plans, views=views,
                           timeline=services.child_timeline(db.session, record),
                           today=date.today(), is_overdue=services.is_overdue)


def _worker_choices(team_id: int) -> list:  # type: ignore[type-arg]
    return options([(0, _("Not allocated"))] + [
        (worker.id, worker.display_name) for worker in services.team_workers(db.session, team_id)])


def _show_problems(form: FlaskForm, refused: children.RecordProblems) -> None:
    """Put each problem the operation found beside the field it is about."""
    for name, messages in refused.problems.items():
        form[name].errors.extend(messages)


def _child_details(form: ChildForm) -> children.ChildDetails:
    return children.ChildDetails(
        reference=form.reference.data, first_name=form.first_name.data,
        last_name=form.last_name.data, date_of_birth=form.date_of_birth.data,
        gender=Gender(form.gender.data), ethnicity_group=EthnicityGroup(form.ethnicity_group.data),
        preferred_language=form.preferred_language.data or "",
        social_worker_id=form.social_worker_id.data or None)


@bp.route("/children/new", methods=["GET", "POST"])
@require("casework.edit")
def new_child():  # type: ignore[no-untyped-def]
    team_id = current_user.team_id
    if team_id is None:
        abort(403)
    form = ChildForm()
    form.social_worker_id.choices = _worker_choices(team_id)
    if request.method == "GET" and current_user.role is Role.SOCIAL_WORKER:
        form.social_worker_id.data = current_user.id
    if form.validate_on_submit():
        try:
            record = children.create_child(db.session, _child_details(form), team_id=team_id)
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("%(name)s has been added. Add their plan next.", name=record.first_name))
            return redirect(url_for("casework.new_plan", child_id=record.id))
    return render_template("casework/child_form.html", form=form, child=None), \
        400 if request.method == "POST" else 200


@bp.route("/children/<int:child_id>/edit", methods=["GET", "POST"])
@require("casework.edit")
def edit_child(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    form = ChildForm(obj=record)
    form.social_worker_id.choices = _worker_choices(record.team_id)
    if request.method == "GET":
        form.social_worker_id.data = record.social_worker_id or 0
    if form.validate_on_submit():
        try:
            children.update_child(db.session, record, _child_details(form))
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("Changes saved."))
            return redirect(url_for("casework.child", child_id=record.id))
    return render_template("casework/child_form.html", form=form, child=record), \
        400 if request.method == "POST" else 200


def _plan_details(form: PlanForm) -> children.PlanDetails:
    return children.PlanDetails(
        kind=PlanKind(form.kind.data),
        placement_type=PlacementType(form.placement_type.data)
        if form.placement_type.data else None,
        started_on=form.started_on.data, ended_on=form.ended_on.data)


@bp.route("/children/<int:child_id>/plans/new", methods=["GET", "POST"])
@require("casework.edit")
def new_plan(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    form = PlanForm()
    if form.validate_on_submit():
        try:
            plan = children.create_plan(db.session, record, _plan_details(form))
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("Plan added. Add the date of its next review."))
            return redirect(url_for("casework.new_review", plan_id=plan.id))
    return render_template("casework/plan_form.html", form=form, child=record, plan=None), \
        400 if request.method == "POST" else 200


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@require("casework.edit")
def edit_plan(plan_id: int):  # type: ignore[no-untyped-def]
    plan = plan_or_404(db.session, plan_id)
    form = PlanForm(obj=plan)
    if request.method == "GET":
        form.kind.data = plan.kind.value
        form.placement_type.data = plan.placement_type.value if plan.placement_type else ""
    if form.validate_on_submit():
        try:
            children.update_plan(db.session, plan, _plan_details(form))
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("Changes saved."))
            return redirect(url_for("casework.child", child_id=plan.child_id))
    return render_template("casework/plan_form.html", form=form, child=plan.child, plan=plan), \
        400 if request.method == "POST" else 200


def _chair_choices() -> list:  # type: ignore[type-arg]
    return options([(0, _("Not yet known"))] + [
        (user.id, user.display_name) for user in services.reviewing_officers(db.session)])


def _review_details(form: ReviewForm) -> children.ReviewDetails:
    return children.ReviewDetails(due_on=form.due_on.data, held_on=form.held_on.data,
                                  chair_id=form.chair_id.data or None)


@bp.route("/plans/<int:plan_id>/reviews/new", methods=["GET", "POST"])
@require("casework.edit")
def new_review(plan_id: int):  # type: ignore[no-untyped-def]
    plan = plan_or_404(db.session, plan_id)
    form = ReviewForm()
    form.chair_id.choices = _chair_choices()
    if form.validate_on_submit():
        try:
            children.create_review(db.session, plan, _review_details(form))
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("Review added."))
            return redirect(url_for("casework.child", child_id=plan.child_id))
    return render_template("casework/review_form.html", form=form, plan=plan, review=None), \
        400 if request.method == "POST" else 200


@bp.route("/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@require("casework.edit_review")
def edit_review(review_id: int):  # type: ignore[no-untyped-def]
    review = review_or_404(db.session, review_id)
    form = ReviewForm(obj=review)
    form.chair_id.choices = _chair_choices()
    if request.method == "GET":
        form.chair_id.data = review.chair_id or 0
    if form.validate_on_submit():
        try:
            children.update_review(db.session, review, _review_details(form))
        except children.RecordProblems as refused:
            _show_problems(form, refused)
        else:
            flash(_("Changes saved."))
            return redirect(url_for("casework.child", child_id=review.plan.child_id))
    return render_template("casework/review_form.html", form=form, plan=review.plan,
                           review=review), 400 if request.method == "POST" else 200


@bp.route("/children/<int:child_id>/audit")
@require("casework.audit")
def child_audit(child_id: int):  # type: ignore[no-untyped-def]
    record = child_or_404(db.session, child_id)
    events = audit.events_for_child(db.session, record.id)
    audit.record("audit.viewed", child_id=record.id, subject=record)
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    actors = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    system_ids = {event.service_account_id for event in events
                  if event.service_account_id is not None}
    systems = {account.id: account for account in db.session.scalars(
        select(ServiceAccount).where(ServiceAccount.id.in_(system_ids)))} if system_ids else {}
    return render_template("casework/child_audit.html", child=record, events=events,
                           actors=actors, systems=systems)
