"""Staff accounts and teams, for administrators only.

Administrators see names, emails, roles and teams; never a child's record. Every page here
needs ``admin.manage`` (see ``auth.permissions``); each change goes through a named
operation in ``services.py``, which checks it and writes the audit trail.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, func, or_, select, true
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, EmailField, Form, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..auth import second_factor
from ..auth.permissions import restrict_blueprint
from ..extensions import db
from ..models import Role, StaffSession, Team, User
from ..security import row_id
from . import services
from .services import AdminProblem, TemporaryPassword

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_blueprint(bp, "admin.manage")

#: How many people the staff list shows at a time.
PAGE_SIZE = 50

@bp.after_request
def _never_cache(response: Any) -> Any:
    # Staff details, and temporary passwords above all, must not stay in a browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- forms ----------------------------------------------------------------------------------

def _team_id(value: Any) -> int | None:
    """A team choice's value: a team's id, or None for "No team". Raises ValueError (the
    field's error) for anything else."""
    if value in (None, ""):
        return None
    team_id = row_id(value)
    if team_id is None:
        raise ValueError(value)
    return team_id


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in Role.labelled()]


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(func.lower(Team.name), Team.id)))


#: Made before the fields below so that it comes first in the form, and so first in the
#: error summary, as it is on the page (WTForms orders fields by when they were made).
_NEW_EMAIL = EmailField(_l("Email address"), validators=[
    InputRequired(_l("Enter an email address.")), Length(max=services.EMAIL_MAX)])


class UserDetailsForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[
        InputRequired(_l("Enter a name.")), Length(max=services.NAME_MAX)])
    role = SelectField(_l("Role"), coerce=Role)
    team = SelectField(_l("Team"), coerce=_team_id)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.team.choices = [SelectChoice("", _l("No team")),
                             *(SelectChoice(str(team.id), team.name) for team in _teams())]

    # The rules live in services.py; checking them here as well lets the page show every
    # problem at once rather than one per attempt.
    def validate_team(self, field: SelectField) -> None:
        if self.role.errors or field.errors:
            return
        try:
            services.check_team_for_role(self.role.data, _chosen_team(field.data))
        except AdminProblem as problem:
            raise ValidationError(problem.message) from problem


class NewUserForm(UserDetailsForm):
    email = _NEW_EMAIL

    def validate_email(self, field: EmailField) -> None:
        try:
            services.clean_email(db.session, field.data)
        except AdminProblem as problem:
            raise ValidationError(problem.message) from problem


class EditUserForm(UserDetailsForm):
    is_active = BooleanField(_l("Account is switched on (the person can sign in)"))


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[
        InputRequired(_l("Enter the team's name.")), Length(max=services.NAME_MAX)])


class UserFilterForm(Form):
    """The staff list's search: read from the address, so a filtered list can be bookmarked."""

    q = StringField(_l("Name or email contains"), validators=[Length(max=100)])
    role = SelectField(_l("Role"))
    team = SelectField(_l("Team"))
    status = SelectField(_l("Account"), choices=[
        SelectChoice("", _l("Any")), SelectChoice("active", _l("Switched on")),
        SelectChoice("disabled", _l("Switched off"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("Any role")), *_role_choices()]
        self.team.choices = [SelectChoice("", _l("Any team")), SelectChoice("none", _l("No team")),
                             *(SelectChoice(str(team.id), team.name) for team in _teams())]


def _chosen(field: SelectField) -> str:
    """A filter's value if it is one of its choices; otherwise "" (no filter)."""
    if field.data in {choice.value for choice in field.choices or []}:
        return field.data
    field.data = ""
    return ""


def _show_problem(form: FlaskForm, problem: AdminProblem) -> list[str]:
    """Put ``problem`` beside its field if the form has it; otherwise return it for the summary."""
    field = form._fields.get(problem.field or "")
    if field is not None:
        field.errors = [*field.errors, problem.message]
        return []
    return [problem.message]


def _actor() -> User:
    return current_user._get_current_object()


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return team


def _chosen_team(team_id: int | None) -> Team | None:
    # The choices were read from the database this request, so the id is a real team.
    return db.session.get(Team, team_id) if team_id is not None else None


def _last_sign_in() -> Any:
    return (select(func.max(StaffSession.created_at))
            .where(StaffSession.user_id == User.id).correlate(User).scalar_subquery())


def _temporary_password_page(issued: TemporaryPassword, *, new_account: bool) -> str:
    return render_template("admin/temporary_password.html", user=issued.user,
                           password=issued.password, new_account=new_account)


# --- staff ----------------------------------------------------------------------------------

@bp.route("/users")
def users():  # type: ignore[no-untyped-def]
    filters = UserFilterForm(request.args)
    # A hand-edited or out-of-date address (a deleted choice) shows everyone, not an error.
    search = (filters.q.data or "").strip().lower()[:100]
    role, team, status = _chosen(filters.role), _chosen(filters.team), _chosen(filters.status)
    conditions = []
    if search:
        conditions.append(or_(func.lower(User.display_name).contains(search, autoescape=True),
                              User.email.contains(search, autoescape=True)))
    if role:
        conditions.append(User.role == Role(role))
    if team:
        conditions.append(User.team_id.is_(None) if team == "none"
                          else User.team_id == row_id(team))
    if status:
        conditions.append(User.is_active.is_(status == "active"))
    total = db.session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = db.session.execute(
        select(User, _last_sign_in().label("last_sign_in")).options(joinedload(User.team))
        .where(*conditions).order_by(func.lower(User.display_name), User.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    args = request.args.to_dict()

    def page_url(number: int) -> str:
        return url_for("admin.users", **{**args, "page": number})

    return render_template(
        "admin/users.html", filters=filters, rows=rows, total=total, page=page, pages=pages,
        first=(page - 1) * PAGE_SIZE + 1, last=(page - 1) * PAGE_SIZE + len(rows),
        previous_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page < pages else None,
        filtered=bool(conditions))


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():  # type: ignore[no-untyped-def]
    form = NewUserForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            issued = services.create_user(
                db.session, email=form.email.data or "", display_name=form.display_name.data or "",
                role=form.role.data, team=_chosen_team(form.team.data), actor=_actor())
        except AdminProblem as problem:
            problems = _show_problem(form, problem)
        else:
            return _temporary_password_page(issued, new_account=True)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, problems=problems,
                           user=None), status


@bp.route("/users/<int:user_id>")
def user(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    return _user_page(person)


def _user_page(person: User, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    last_sign_in = db.session.scalar(
        select(func.max(StaffSession.created_at)).where(StaffSession.user_id == person.id))
    open_sessions = db.session.scalar(
        select(func.count()).select_from(StaffSession)
        .where(StaffSession.user_id == person.id, StaffSession.ended_at.is_(None))) or 0
    return render_template("admin/user.html", person=person, last_sign_in=last_sign_in,
                           open_sessions=open_sessions, error=error,
                           recovery_codes_left=second_factor.recovery_codes_left(
                               db.session, person),
                           second_factor_required=second_factor.is_required(),
                           is_self=person.id == current_user.id), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    form = EditUserForm(data={"display_name": person.display_name, "role": person.role,
                              "team": person.team_id, "is_active": person.is_active})
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            done = services.update_user(
                db.session, person, display_name=form.display_name.data or "",
                role=form.role.data, team=_chosen_team(form.team.data),
                is_active=bool(form.is_active.data), actor=_actor())
        except AdminProblem as problem:
            problems = _show_problem(form, problem)
        else:
            if not done:
                flash(_("Nothing was changed."))
            elif "admin.role_changed" in done or "admin.user_disabled" in done:
                flash(_("Changes saved. %(name)s has been signed out everywhere, so the change "
                        "applies at once.", name=person.display_name))
            else:
                flash(_("Changes saved."))
            return redirect(url_for("admin.user", user_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, problems=problems,
                           user=person), status


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
def disable_user(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    try:
        services.disable_user(db.session, person, actor=_actor())
    except AdminProblem as problem:
        return _user_page(person, error=problem.message, status=400)
    flash(_("%(name)s's account is switched off and they have been signed out.",
            name=person.display_name))
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
def enable_user(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    services.enable_user(db.session, person, actor=_actor())
    flash(_("%(name)s's account is switched on again.", name=person.display_name))
    return redirect(url_for("admin.user", user_id=person.id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    form = FlaskForm()
    error = None
    if form.validate_on_submit():
        try:
            issued = services.reset_password(db.session, person, actor=_actor())
        except AdminProblem as problem:
            error = problem.message
        else:
            return _temporary_password_page(issued, new_account=False)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/reset_password.html", person=person, form=form,
                           error=error), status


@bp.route("/users/<int:user_id>/second-factor", methods=["GET", "POST"])
def reset_second_factor(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    form = FlaskForm()
    error = None
    if form.validate_on_submit():
        try:
            services.reset_second_factor(db.session, person, actor=_actor())
        except AdminProblem as problem:
            error = problem.message
        else:
            flash(_("%(name)s's authenticator app and recovery codes are forgotten, and they "
                    "have been signed out. They sign in with their password and set up an "
                    "app again.", name=person.display_name))
            return redirect(url_for("admin.user", user_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/reset_second_factor.html", person=person, form=form,
                           error=error), status


# --- teams ----------------------------------------------------------------------------------

@bp.route("/teams")
def teams():  # type: ignore[no-untyped-def]
    active = func.count(case((User.is_active == true(), User.id)))
    rows = db.session.execute(
        select(Team, active.label("active"), func.count(User.id).label("everyone"))
        .outerjoin(User, User.team_id == Team.id)
        .group_by(Team.id).order_by(func.lower(Team.name), Team.id)).all()
    return render_template("admin/teams.html", rows=rows)


@bp.route("/teams/new", methods=["GET", "POST"])
def new_team():  # type: ignore[no-untyped-def]
    form = TeamForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            team = services.create_team(db.session, form.name.data or "", actor=_actor())
        except AdminProblem as problem:
            problems = _show_problem(form, problem)
        else:
            flash(_("Team added: %(name)s.", name=team.name))
            return redirect(url_for("admin.teams"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/team_form.html", form=form, problems=problems,
                           team=None), status


@bp.route("/teams/<int:team_id>/rename", methods=["GET", "POST"])
def rename_team(team_id: int):  # type: ignore[no-untyped-def]
    team = _team_or_404(team_id)
    form = TeamForm(data={"name": team.name})
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            changed = services.rename_team(db.session, team, form.name.data or "",
                                           actor=_actor())
        except AdminProblem as problem:
            problems = _show_problem(form, problem)
        else:
            flash(_("Team renamed: %(name)s.", name=team.name) if changed
                  else _("Nothing was changed."))
            return redirect(url_for("admin.teams"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/team_form.html", form=form, problems=problems,
                           team=team), status


# The connected systems' pages and the records manager's pages, on this blueprint.
from . import records, systems  # noqa: E402,F401
