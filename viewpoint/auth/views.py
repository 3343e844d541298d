"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from .. import audit, throttle
from ..extensions import db
from ..i18n import staff_languages
from ..models import User, normalise_email
from ..security import same_site_path
from . import devices, sessions
from .passwords import hash_password, needs_rehash, password_problems, verify_password
from .permissions import home_endpoint

bp = Blueprint("auth", __name__, url_prefix="/staff")

#: Why a session ended, as the sign-in page explains it.
ENDED_MESSAGES = {
    "idle": _l("You were signed out because the page was left for a while. Please sign in again."),
    "expired": _l("Your session reached its time limit. Please sign in again."),
    "disabled": _l("Your account has been switched off. Ask an administrator if this is wrong."),
    "role_changed": _l("Your role has changed, so you were signed out. Sign in again to see "
                       "what your new role shows."),
    "password_changed": _l("Your password was changed, so you were signed out everywhere. "
                           "Sign in with the new password."),
    "signed_out": _l("You have signed out."),
}


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1000)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(_l("New password again"),
                            validators=[InputRequired(), EqualTo("new", _l("The two new "
                                                                           "passwords differ."))])


@bp.route("/signin", methods=["GET", "POST"])
def signin():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = SignInForm()
    message = None
    ended = request.args.get("ended")
    if ended in ENDED_MESSAGES:
        message = ENDED_MESSAGES[ended]
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/signin.html", form=form, message=message), status
    config = current_app.config
    email = normalise_email(form.email.data or "")
    window = timedelta(minutes=config["SIGNIN_FAILURE_WINDOW_MINUTES"])
    limits = devices.limits_for(email)
    user = db.session.scalar(select(User).where(User.email == email))
    # Counted and audited even though the answer is an error.
    db.keep_on_error()
    if any(throttle.is_limited(db.session, key, limit, window) for key, limit in limits.keys):
        minutes = -(-throttle.seconds_left(window) // 60)
        audit.record("signin.throttled", actor=user, detail={
            "account_exists": user is not None, "trusted_browser": limits.trusted})
        if limits.trusted:
            error = ngettext(
                "Too many wrong passwords from this browser. Try again in %(num)d minute, or "
                "ask an administrator to reset your password.",
                "Too many wrong passwords from this browser. Try again in %(num)d minutes, or "
                "ask an administrator to reset your password.", minutes)
        else:
            error = ngettext(
                "Too many wrong passwords for this account from browsers it has not signed in "
                "on before. Try again in %(num)d minute, use a browser you have signed in on "
                "before, or ask an administrator to reset your password.",
                "Too many wrong passwords for this account from browsers it has not signed in "
                "on before. Try again in %(num)d minutes, use a browser you have signed in on "
                "before, or ask an administrator to reset your password.", minutes)
        return render_template("auth/signin.html", form=form, error=error), 429
    password = form.password.data or ""
    # The password is checked against a hash whether or not the account exists, so that an
    # unknown email takes as long to refuse as a wrong password.
    matches = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not matches or not user.is_active:
        for key, _limit in limits.keys:
            throttle.hit(db.session, key, window)
        reason = "no_account" if user is None else \
            "disabled" if user.is_active is False else "wrong_password"
        audit.record("signin.failed", actor=user, detail={"reason": reason})
        return render_template("auth/signin.html", form=form, error=_(
            "That email address and password do not match an account that can sign in.")), 401
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    # A new session on sign-in: nothing from before (a child's session, an old token) survives,
    # except the language the person chose on the sign-in page.
    language = cookie.get("staff_language")
    cookie.clear()
    if language:
        cookie["staff_language"] = language
    sessions.start_session(user)
    login_user(user)
    audit.record("signin", actor=user)
    response = redirect(same_site_path(request.args.get("next"))
                        or url_for(home_endpoint(user)))
    devices.trust(response, email)
    return response


@bp.route("/signout", methods=["POST"])
def signout():  # type: ignore[no-untyped-def]
    audit.record("signout")
    sessions.end_current_session("signed_out")
    logout_user()
    cookie.clear()
    response = redirect(url_for("auth.signin", ended="signed_out"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/language", methods=["POST"])
def language():  # type: ignore[no-untyped-def]
    """Staff pages in English or Welsh, for this browser session (signed in or not)."""
    chosen = request.form.get("language")
    if chosen not in staff_languages():
        abort(400)
    cookie["staff_language"] = chosen
    return redirect(same_site_path(request.form.get("next")) or url_for("auth.signin"))


@bp.route("/")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/password", methods=["GET", "POST"])
def change_password():  # type: ignore[no-untyped-def]
    form = PasswordForm()
    problems: list[str] = []
    if current_user.must_change_password and request.method == "GET":
        flash(_("Choose your own password before you carry on."))
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current.data or ""):
            problems.append(_("Your current password is not right."))
        elif verify_password(user.password_hash, form.new.data or ""):
            # Above all the temporary one an administrator set: someone else has seen it.
            problems.append(_("Choose a new password: the new one must not be the one you "
                              "have now."))
        else:
            problems = password_problems(form.new.data or "",
                                         personal=(user.email, user.display_name))
        if not problems:
            user.password_hash = hash_password(form.new.data or "")
            user.must_change_password = False
            # Every other browser signed in as this person is signed out; this one carries on
            # with a fresh session.
            sessions.end_sessions_of(user, "password_changed")
            sessions.start_session(user)
            login_user(user)
            audit.record("password.changed")
            flash(_("Your password has been changed. Other browsers have been signed out."))
            return redirect(url_for("auth.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, problems=problems), status
