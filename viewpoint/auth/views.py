"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from requests import RequestException
from sqlalchemy import select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from .. import audit, throttle
from ..extensions import db
from ..i18n import staff_languages
from ..models import User, normalise_email, utcnow
from ..security import same_site_path
from . import devices, oidc, second_factor, sessions
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
    "second_factor_changed": _l("Your sign-in security was changed, so you were signed out "
                                "everywhere. Sign in again."),
    "code_timeout": _l("The code from your authenticator app was not typed in time. Sign in "
                       "again."),
}

#: How long after the right password the code from the app may be typed.
CODE_WAIT = timedelta(minutes=5)
#: The cookie keys of a sign-in waiting for its second factor.
_WAITING = "second_factor_for"
_SETUP = "second_factor_setup"


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(_l("Enter the code from your authenticator app.")), Length(max=40)])


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
    config = current_app.config
    if request.method == "POST" and not config.get("LOCAL_PASSWORDS", True):
        return render_template("auth/signin.html", form=form, error=_(
            "Passwords are switched off here: sign in with your council account.")), 403
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/signin.html", form=form, message=message), status
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
    target = same_site_path(request.args.get("next"))
    _fresh_cookie()
    if user.has_second_factor:
        # No session yet: the browser only remembers, signed, whose code it is waiting for.
        cookie[_WAITING] = {"user": user.id, "at": int(utcnow().timestamp()), "next": target}
        audit.record("signin.code_asked", actor=user)
        return redirect(url_for("auth.second_factor_code"))
    return _signed_in(user, target, how="password")


# --- the council's identity provider (OpenID Connect; see oidc.py) ---

def _back_from_provider() -> str:
    base = current_app.config.get("PUBLIC_URL")
    path = url_for("auth.signin_council_done")
    return base.rstrip("/") + path if base else url_for("auth.signin_council_done",
                                                        _external=True)


@bp.get("/signin/council")
def signin_council():  # type: ignore[no-untyped-def]
    if not oidc.is_enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    cookie["oidc_next"] = same_site_path(request.args.get("next"))
    try:
        return oidc.client().authorize_redirect(_back_from_provider())
    except (OSError, ValueError, oidc.OAuthError, RequestException):
        return render_template("auth/signin.html", form=SignInForm(), error=_(
            "The council's sign-in service cannot be reached just now. Try again in a few "
            "minutes.")), 503


@bp.get("/signin/council/done")
def signin_council_done():  # type: ignore[no-untyped-def]
    if not oidc.is_enabled():
        abort(404)
    form = SignInForm()
    try:
        # (The code is exchanged before the write lock is taken: nobody waits for the network.)
        token = oidc.client().authorize_access_token() if not request.args.get("error") \
            else None
    except (OSError, ValueError, KeyError, oidc.OAuthError, RequestException):
        token = None
    db.take_write_lock()
    db.keep_on_error()  # refusals are audited
    if token is None or not isinstance(token.get("userinfo"), dict):
        audit.record("signin.failed", detail={"reason": "provider", "via": "council"})
        return render_template("auth/signin.html", form=form, error=_(
            "Signing in with your council account did not finish. Please try again.")), 400
    try:
        user = oidc.account_for(db.session, dict(token["userinfo"]))
    except oidc.SignInRefused as refused:
        audit.record("signin.failed", detail={"reason": refused.reason, "via": "council"})
        return render_template("auth/signin.html", form=form, error=refused.message), 403
    target = cookie.get("oidc_next")
    _fresh_cookie()
    cookie[oidc.SIGNED_IN_WITH] = "council"
    cookie[oidc.ID_TOKEN] = token.get("id_token")
    return _signed_in(user, target if isinstance(target, str) else None, how="council")


def _provider_sign_out(id_token: str | None) -> str | None:
    """Where to send the browser to end the provider's session too, if it says."""
    try:
        metadata = oidc.client().load_server_metadata()
    except (OSError, ValueError, oidc.OAuthError, RequestException):
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    back = url_for("auth.signin", ended="signed_out")
    base = current_app.config.get("PUBLIC_URL")
    back = base.rstrip("/") + back if base else url_for("auth.signin", ended="signed_out",
                                                         _external=True)
    query = {"post_logout_redirect_uri": back,
             "client_id": current_app.config["OIDC_CLIENT_ID"]}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _fresh_cookie() -> None:
    """Nothing from before (a child's session, an old token, a half-finished sign-in)
    survives a sign-in, except the language the person chose on the sign-in page."""
    language = cookie.get("staff_language")
    cookie.clear()
    if language:
        cookie["staff_language"] = language


def _signed_in(user: User, target: str | None, *, how: str):  # type: ignore[no-untyped-def]
    sessions.start_session(user)
    login_user(user)
    audit.record("signin", actor=user, detail={"second_factor": how})
    response = redirect(target or url_for(home_endpoint(user)))
    devices.trust(response, user.email)
    return response


def _waiting_user() -> tuple[User | None, str | None]:
    """(who a sign-in is waiting on a code for, None) or, if nobody or the wait is over,
    (None, why the sign-in page should say it ended, if it should)."""
    waiting = cookie.get(_WAITING)
    if not isinstance(waiting, dict) or not isinstance(waiting.get("at"), int):
        return None, None
    if utcnow().timestamp() - waiting["at"] > CODE_WAIT.total_seconds():
        return None, "code_timeout"
    user = db.session.get(User, waiting.get("user")) if isinstance(waiting.get("user"), int) \
        else None
    if user is None or not user.is_active or not user.has_second_factor:
        return None, None
    return user, None


@bp.route("/signin/code", methods=["GET", "POST"])
def second_factor_code():  # type: ignore[no-untyped-def]
    """The second step of signing in: a code from the authenticator app, or a recovery
    code. Wrong codes count against the same allowances as wrong passwords."""
    user, ended = _waiting_user()
    if user is None:
        cookie.pop(_WAITING, None)
        return redirect(url_for("auth.signin", ended=ended))
    form = CodeForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/code.html", form=form), status
    config = current_app.config
    window = timedelta(minutes=config["SIGNIN_FAILURE_WINDOW_MINUTES"])
    limits = devices.limits_for(user.email)
    db.keep_on_error()
    if any(throttle.is_limited(db.session, key, limit, window) for key, limit in limits.keys):
        minutes = -(-throttle.seconds_left(window) // 60)
        audit.record("signin.throttled", actor=user, detail={
            "account_exists": True, "trusted_browser": limits.trusted, "step": "code"})
        error = ngettext("Too many wrong codes. Try again in %(num)d minute, or ask an "
                         "administrator to reset your sign-in security.",
                         "Too many wrong codes. Try again in %(num)d minutes, or ask an "
                         "administrator to reset your sign-in security.", minutes)
        return render_template("auth/code.html", form=form, error=error), 429
    typed = form.code.data or ""
    how = None
    if second_factor.accept_code(db.session, user, typed):
        how = "app"
    elif second_factor.use_recovery_code(db.session, user, typed):
        how = "recovery_code"
    if how is None:
        for key, _limit in limits.keys:
            throttle.hit(db.session, key, window)
        audit.record("signin.failed", actor=user, detail={"reason": "wrong_code"})
        return render_template("auth/code.html", form=form, error=_(
            "That code is not right, or it has been used already. Type the code your app "
            "shows now, or one of your recovery codes.")), 401
    target = same_site_path((cookie.get(_WAITING) or {}).get("next"))
    _fresh_cookie()
    response = _signed_in(user, target, how=how)
    if how == "recovery_code":
        left = second_factor.recovery_codes_left(db.session, user)
        flash(ngettext("You signed in with a recovery code. You have %(num)d left: make new "
                       "ones on the Sign-in security page.",
                       "You signed in with a recovery code. You have %(num)d left: make new "
                       "ones on the Sign-in security page.", left))
    return response


class SetupForm(FlaskForm):
    code = StringField(_l("Code from your app"), validators=[
        InputRequired(_l("Enter the six-digit code your app shows.")), Length(max=40)])


@bp.route("/second-factor", methods=["GET", "POST"])
def second_factor_page():  # type: ignore[no-untyped-def]
    """Sign-in security: set up an authenticator app (a QR code, then a code from the app to
    prove it works, then recovery codes shown once), or, once set up, make new recovery
    codes or set up a new app."""
    user: User = current_user._get_current_object()
    if user.has_second_factor:
        return _manage_second_factor(user)
    secret = cookie.get(_SETUP)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = cookie[_SETUP] = second_factor.new_secret()
    form = SetupForm()
    error = None
    if form.validate_on_submit():
        codes = second_factor.enrol(db.session, user, secret, form.code.data or "")
        if codes is not None:
            cookie.pop(_SETUP, None)
            # Browsers signed in before the app was set up are signed out; this one goes on.
            sessions.end_sessions_of(user, "second_factor_changed")
            sessions.start_session(user)
            login_user(user)
            audit.record("second_factor.set_up")
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
        error = _("That code is not the one your app shows now. Check the app has the "
                  "account for viewpoint, and type the code it shows.")
    uri = second_factor.setup_uri(user, secret)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "auth/second_factor_setup.html", form=form, error=error,
        qr=Markup(second_factor.qr_svg(uri)),  # noqa: S704 (segno's own SVG)
        secret=second_factor.grouped(secret), required=second_factor.is_required()), status


class RenewForm(FlaskForm):
    code = StringField(_l("Code from your app"), validators=[
        InputRequired(_l("Enter the six-digit code your app shows.")), Length(max=40)])


def _manage_second_factor(user: User):  # type: ignore[no-untyped-def]
    form = RenewForm()
    error = None
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        # The app's code again: whoever finds a signed-in browser cannot make codes for
        # themselves, nor guess the code here faster than at sign-in.
        window = timedelta(minutes=current_app.config["SIGNIN_FAILURE_WINDOW_MINUTES"])
        key, limit = f"second-factor-failure:user:{user.id}", \
            current_app.config["SIGNIN_FAILURES_PER_DEVICE"]
        db.keep_on_error()
        if throttle.is_limited(db.session, key, limit, window):
            minutes = -(-throttle.seconds_left(window) // 60)
            error = ngettext("Too many wrong codes. Try again in %(num)d minute.",
                             "Too many wrong codes. Try again in %(num)d minutes.", minutes)
            status = 429
        elif second_factor.accept_code(db.session, user, form.code.data or ""):
            codes = second_factor.make_recovery_codes(db.session, user)
            audit.record("second_factor.new_recovery_codes")
            return render_template("auth/recovery_codes.html", codes=codes, first_time=False)
        else:
            throttle.hit(db.session, key, window)
            audit.record("second_factor.wrong_code")
            error = _("That code is not the one your app shows now, or it has been used "
                      "already. Wait for the next code and type it.")
    return render_template("auth/second_factor.html", form=form, error=error,
                           left=second_factor.recovery_codes_left(db.session, user)), status


@bp.route("/signout", methods=["POST"])
def signout():  # type: ignore[no-untyped-def]
    audit.record("signout")
    through_council = cookie.get(oidc.SIGNED_IN_WITH) == "council" and oidc.is_enabled()
    id_token = cookie.get(oidc.ID_TOKEN)
    sessions.end_current_session("signed_out")
    logout_user()
    cookie.clear()
    # Signed in through the council's provider: end its session too, or the next person at
    # a shared computer would be let straight back in as this one.
    provider = _provider_sign_out(id_token) if through_council else None
    response = redirect(provider or url_for("auth.signin", ended="signed_out"))
    # Not "storage": a worker who signs in and out on a tablet children use would destroy
    # the answers waiting there for the network (staff pages keep nothing in storage).
    response.headers["Clear-Site-Data"] = '"cache"'
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
