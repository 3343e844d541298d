"""What a child sees: the start page, the welcome, the questions, finishing.

Rules for every page here: nothing is cached (a shared tablet's back button must show
nothing after the child has finished), the child's code and identity never appear in a
URL, and every page works without JavaScript.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import InputRequired

from .. import throttle
from ..audio import audio_dir, library
from ..errors import is_childs_page
from ..extensions import db, locks_late
from ..i18n import available_languages, font_for, language_in_english, language_name, text_direction
from ..models import (
    AlertSource,
    Invitation,
    InvitationState,
    QuestionnaireVersion,
    Response,
    Role,
    User,
)
from ..operations import answers as services
from ..operations.alerts import alerts_for_response, raise_talk_to_someone
from ..operations.feedback import mark_feedback_seen, unseen_feedback_for_child
from ..operations.invitations import find_invitation, is_expired, looks_like_a_code
from ..questionnaires import Catalogue
from . import flow
from .rendering import audio_for, page_controls, page_messages, question_html

bp = Blueprint("respond", __name__)
bp.add_app_template_global(audio_for)

SESSION_KEY = "respondent"


class CodeForm(FlaskForm):
    code = StringField(validators=[InputRequired()])


@dataclass
class Respondent:
    """The child whose session this is, with everything their pages need."""

    invitation: Invitation
    response: Response | None
    #: The digest of the response's snapshot (its wording), loaded with it.
    digest: str | None = None

    @property
    def child(self):  # type: ignore[no-untyped-def]
        return self.invitation.child


def _catalogue() -> Catalogue:
    return current_app.extensions["viewpoint.questionnaires"]


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.app_context_processor
def _child_page_helpers() -> dict[str, Any]:
    return {"page_messages": page_messages, "page_controls": page_controls}


@bp.before_app_request
def _invitation_language() -> None:
    # The invitation's language, kept in the child's session when they typed their code, so
    # that every child page (help, errors) speaks it without a database query.
    if request.endpoint == "static" or not is_childs_page():
        return
    data = session.get(SESSION_KEY)
    if data:
        g.invitation_language = data.get("language")


def _clear_session() -> None:
    """Forget the child on this tablet, after pinning this request's language: the page
    that says goodbye is still in the language the child chose."""
    get_locale()
    session.clear()


@bp.after_request
def _never_cache(response):  # type: ignore[no-untyped-def]
    if request.endpoint == "respond.audio":  # the same for every child: fine to keep
        return response
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _load_respondent() -> tuple[Respondent | None, str | None]:
    """The signed-in child, or (None, why): "none", "expired", "sent" or "closed"."""
    data = session.get(SESSION_KEY)
    if not data:
        return None, "none"
    idle = timedelta(minutes=current_app.config["RESPONDENT_IDLE_MINUTES"])
    if time.time() - data.get("seen", 0) > idle.total_seconds():
        session.pop(SESSION_KEY, None)
        return None, "expired"
    found = db.session.execute(
        select(Invitation, Response, QuestionnaireVersion.digest)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .outerjoin(QuestionnaireVersion,
                   QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(Invitation.id == data.get("invitation"))).first()
    invitation, response, digest = found if found is not None else (None, None, None)
    if invitation is not None and invitation.state is InvitationState.SUBMITTED:
        session.pop(SESSION_KEY, None)
        return None, "sent"
    if (invitation is None or invitation.session_generation != data.get("generation")
            or not invitation.is_usable()):
        session.pop(SESSION_KEY, None)
        return None, "closed"
    now = int(time.time())
    if now - data.get("seen", 0) >= 30:  # re-signing the cookie on every save costs; 30 s is plenty
        data["seen"] = now
        session.modified = True
    g.invitation_language = invitation.language
    return Respondent(invitation, response, digest), None


def _require_respondent() -> Respondent:
    respondent, why = _load_respondent()
    if respondent is None:
        abort(redirect(url_for("respond.start", why=why if why != "none" else None)))
    return respondent


def _require_response() -> tuple[Respondent, Response]:
    respondent = _require_respondent()
    if respondent.response is None:
        abort(redirect(url_for("respond.welcome")))
    return respondent, respondent.response


def _worker_name(respondent: Respondent) -> str | None:
    worker = respondent.child.social_worker
    return worker.display_name.split()[0] if worker else None


def _manager(respondent: Respondent) -> User | None:
    return db.session.scalar(select(User).where(
        User.team_id == respondent.child.team_id, User.role == Role.TEAM_MANAGER,
        User.is_active.is_(True)).limit(1))


# --- getting in ---

def _code_message(kind: str, **values: Any) -> str:
    # The words are written out here (not built) so that they are extracted for translation.
    messages = {
        "wrong": _("That code didn't work. Check each letter and number and try again. If it "
                   "still doesn't work, ask the person who gave you the code."),
        "code_expired": _("This code has run out. Ask your worker for a new one — it only takes a "
                     "minute."),
        "used": _("You've already sent your answers with this code. Thank you! If you want to "
                  "say something else, ask your worker."),
        "cancelled": _("This code doesn't work any more. Your worker may have sent you a new "
                       "one."),
        "slow_down": _("Too many tries. Please wait %(minutes)d minutes, then try again.",
                       minutes=values.get("minutes", 0)),
        "busy": _("This code has been used a lot in the last hour. Please wait %(minutes)d "
                  "minutes, then try again.", minutes=values.get("minutes", 0)),
        "sent": _("Your answers have been sent. Thank you!"),
        "stale": _("Sorry, that page had been open too long, so nothing was changed. Please "
                   "try again."),
        "expired": _("You were away for a while, so we closed your questions to keep "
                             "them private. Your answers are saved: type your code to carry "
                             "on."),
        "closed": _("Your questions were closed on this tablet. Your answers are saved: type "
                    "your code to carry on."),
    }
    return messages[kind]


@bp.route("/", methods=["GET", "POST"])
def start():  # type: ignore[no-untyped-def]
    """The start page: type the code your worker gave you."""
    respondent, _why = _load_respondent() if request.method == "GET" else (None, None)
    if respondent is not None:
        return redirect(url_for("respond.welcome"))
    form = CodeForm()
    message = None
    status = 200
    why = request.args.get("why")
    if why in ("expired", "closed", "sent", "stale"):
        message = _code_message(why)
    if request.method == "POST":
        message, status = _enter_code(form)
        if message is None:
            return redirect(url_for("respond.welcome"))
    return render_template("respond/start.html", form=form, message=message), status


def _enter_code(form: CodeForm) -> tuple[str | None, int]:
    """Check the typed code and start the child's session. Returns (problem, status)."""
    config = current_app.config
    failure_window = timedelta(minutes=config["CODE_FAILURE_WINDOW_MINUTES"])
    client_key = f"code-failure:client:{_client()}"
    if throttle.is_limited(db.session, client_key, config["CODE_FAILURES_PER_CLIENT"],
                           failure_window):
        minutes = -(-throttle.seconds_left(failure_window) // 60)
        return _code_message("slow_down", minutes=minutes), 429
    typed = (form.code.data or "") if form.validate_on_submit() else ""
    invitation = find_invitation(db.session, typed) if looks_like_a_code(typed) else None
    problem = None
    if invitation is None:
        problem = "wrong"
    elif invitation.state is InvitationState.SUBMITTED:
        problem = "used"
    elif invitation.state is InvitationState.CANCELLED:
        problem = "cancelled"
    elif is_expired(invitation):
        problem = "code_expired"
    if problem is not None:
        # Counted and committed even though the answer is an error page.
        throttle.hit(db.session, client_key, failure_window)
        db.session.commit()
        return _code_message(problem), 400 if problem == "wrong" else 410
    assert invitation is not None
    # A leaked code cannot be used from many devices at once; the child's own attempts are
    # nowhere near this, and nobody without the code can use it up.
    entry_window = timedelta(hours=1)
    code_key = f"code-entry:invitation:{invitation.id}"
    if throttle.is_limited(db.session, code_key, config["CODE_ENTRIES_PER_HOUR"], entry_window):
        minutes = -(-throttle.seconds_left(entry_window) // 60)
        return _code_message("busy", minutes=minutes), 429
    throttle.hit(db.session, code_key, entry_window)
    # A new session: whoever used this tablet before (a child or a signed-in worker) is gone,
    # except the language chosen on the start page: that was the child holding it now.
    chosen = session.get("language")
    session.clear()
    if chosen in available_languages():
        session["language"] = chosen
    session[SESSION_KEY] = {"invitation": invitation.id,
                            "generation": invitation.session_generation,
                            "language": invitation.language,
                            "seen": int(time.time())}
    return None, 200


@bp.app_errorhandler(CSRFError)
def _stale_form(error: CSRFError):  # type: ignore[no-untyped-def]
    """A form older than the session it came from (a double tap after finishing, a page left
    open across a session's end): nothing is changed, and the child is told kindly."""
    if request.blueprint != "respond":
        return error
    if request.is_json:
        return jsonify(status="signed_out", reason="stale"), 401
    return redirect(url_for("respond.start", why="stale"))


@bp.get("/help")
def help_now():  # type: ignore[no-untyped-def]
    """Who to talk to, for anyone on the start page (no code needed, nothing recorded)."""
    return render_template("respond/help.html")


# --- welcome and starting ---

@bp.get("/welcome")
def welcome():  # type: ignore[no-untyped-def]
    respondent = _require_respondent()
    review = respondent.invitation.review
    return render_template(
        "respond/welcome.html", respondent=respondent, child=respondent.child,
        worker=_worker_name(respondent), review=review,
        audio_available=library().has_language(str(get_locale())),
        has_started=respondent.response is not None and bool(
            services.answers_of(db.session, respondent.response)),
        # "You said, we did": what workers wrote back since the child last answered.
        feedback=unseen_feedback_for_child(db.session, respondent.child.id))


@bp.post("/start")
def begin():  # type: ignore[no-untyped-def]
    respondent = _require_respondent()
    # What was written back to the child is marked seen here, not when the welcome page is
    # shown: GET pages on the child's side never write, so that many children opening their
    # questionnaires at once never queue for SQLite's single write lock just to read. This
    # POST already holds that lock (taken at BEGIN for every write request), and it marks
    # only the notes the welcome page listed, so a note written in between is still shown.
    mark_feedback_seen(db.session, respondent.child.id,
                       (int(i) for i in request.form.getlist("seen_feedback")
                        if i.isascii() and i.isdigit()))
    response = respondent.response or services.start_response(
        db.session, _catalogue(), respondent.invitation, str(get_locale()))
    return redirect(_resume_url(response))


def _resume_url(response: Response) -> str:
    snapshot = services.snapshot(db.session, response)
    answers = services.answers_of(db.session, response)
    pages = flow.paginate(snapshot, services.given_values(answers))
    page = flow.resume_page(pages, response.resume_at, set(answers))
    if page is None:
        return url_for("respond.finish")
    return url_for("respond.questions", key=page.key)


# --- the questions ---

@bp.route("/questions/<key>", methods=["GET", "POST"])
def questions(key: str):  # type: ignore[no-untyped-def]
    respondent, response = _require_response()
    snapshot = services.snapshot(db.session, response, respondent.digest)
    answers = services.answers_of(db.session, response)
    problems: dict[str, str] = {}
    if request.method == "POST":
        problems = _save_page(response, request.form)
        answers = services.answers_of(db.session, response)
    pages = flow.paginate(snapshot, services.given_values(answers))
    page = flow.page_holding(pages, key)
    if page is None:
        return redirect(_resume_url(response))
    if request.method == "POST" and not problems:
        action = request.form.get("action", "next")
        if action == "language":  # the page's answers are saved; choose, then come back here
            return redirect(url_for("respond.language",
                                    back=url_for("respond.questions", key=page.key)))
        if action == "back":
            target = pages[page.number - 2] if page.number > 1 else None
            return redirect(url_for("respond.questions", key=target.key) if target
                            else url_for("respond.welcome"))
        following = pages[page.number] if page.number < len(pages) else None
        if following is not None:
            response.resume_at = following.key
            return redirect(url_for("respond.questions", key=following.key))
        return redirect(url_for("respond.finish"))
    if page.key != key:
        return redirect(url_for("respond.questions", key=page.key))
    # Showing a page writes nothing: the place is kept by saves and by Next/Back, so that
    # reads never need the database's write lock.
    total = sum(len(p.questions) for p in pages)
    before = sum(len(p.questions) for p in pages[:page.number - 1])
    return render_template(
        "respond/questions.html", respondent=respondent, response=response, snapshot=snapshot,
        page=page, pages=pages, answers=answers, problems=problems, total=total, before=before,
        band=snapshot.band_rules, token=services.response_token(response),
        digest=respondent.digest, question_html=question_html,
        save_ids={q["key"]: secrets.token_urlsafe(12) for q in page.questions},
        audio_available=library().has_language(str(get_locale())),
        auto_read=session.get("auto_read", False)), 400 if problems else 200


def _save_page(response: Response, form: Any) -> dict[str, str]:
    """Save every answer on a submitted page (the path without JavaScript)."""
    snapshot = services.snapshot(db.session, response)
    problems: dict[str, str] = {}
    for key in form.getlist("question"):
        question = snapshot.question(key)
        if question is None:
            continue
        # Every value sent under the question's name: "I'd rather not say" can arrive beside
        # an (empty) text box or other choices.
        sent = form.getlist(f"q-{key}")
        declined = services.DECLINED in sent
        if declined:
            value = None
        elif question["type"] == "choose_many":
            value = sent
        else:
            value = sent[0] if sent else None
        try:
            services.record_answer(db.session, _catalogue(), response, key, value,
                                   declined=declined, save_id=form.get(f"save-{key}") or None)
        except services.AnswerRejected:
            problems[key] = _("Please choose one of the answers, or skip this question.")
        except services.ResponseClosed:
            abort(redirect(url_for("respond.start")))
    return problems


@bp.post("/answers")
@locks_late
def save_answer():  # type: ignore[no-untyped-def]
    """Autosave from the page's script: one answer, idempotent by its save id.

    The busiest write in the service: everything that only reads (the session, the
    token, the answer's shape) is done before the write lock is taken.
    """
    respondent, why = _load_respondent()
    if respondent is None or respondent.response is None:
        return jsonify(status="signed_out", reason=why), 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
        return jsonify(status="invalid", message="expected question, value, save_id"), 400
    if payload.get("token") != services.response_token(respondent.response):
        return jsonify(status="wrong_child"), 409
    try:
        result = services.record_answer(
            db.session, _catalogue(), respondent.response, payload["question"],
            payload.get("value"), declined=bool(payload.get("declined")),
            save_id=payload.get("save_id"), before_write=db.take_write_lock)
    except services.AnswerRejected as exc:
        return jsonify(status="invalid", message=str(exc)), 422
    except services.ResponseClosed:
        return jsonify(status="submitted"), 409
    return jsonify(status="saved", changed=result.changed,
                   saved_at=result.saved_at.isoformat() if result.saved_at else None)


# --- always available ---

@bp.post("/talk")
def talk():  # type: ignore[no-untyped-def]
    """"I want to talk to someone": tell the worker, and show who the child can call now."""
    respondent, _why = _load_respondent()
    if respondent is None:
        return render_template("respond/help.html")
    raise_talk_to_someone(db.session, respondent.child, respondent.response)
    return render_template("respond/talk.html", worker=_worker_name(respondent),
                           back=_resume_url(respondent.response) if respondent.response
                           else url_for("respond.welcome"))


@bp.post("/stop")
def stop():  # type: ignore[no-untyped-def]
    """Stop for now: answers are kept; the tablet is cleared for the next person."""
    respondent, _why = _load_respondent()
    if respondent is not None:
        services.end_session(respondent.invitation)
    _clear_session()
    response = make_response(render_template("respond/stopped.html"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.post("/read-aloud")
def read_aloud():  # type: ignore[no-untyped-def]
    """Switch reading every question aloud automatically on or off (kept for this session)."""
    _require_respondent()
    session["auto_read"] = request.form.get("auto_read") == "on"
    return redirect(request.form.get("next") if _is_local(request.form.get("next"))
                    else url_for("respond.welcome"))


@bp.route("/language", methods=["GET", "POST"])
def language():  # type: ignore[no-untyped-def]
    """Choose the language of every page, from any page: the child comes back to where they
    were, with every answer kept, and the questions in the language they chose."""
    back = request.values.get("back")
    back = back if _is_local(back) else url_for("respond.start")
    respondent, _why = _load_respondent()
    offered = available_languages()
    if request.method == "POST":
        chosen = request.form.get("language")
        if chosen not in offered:
            return _language_page(offered, back, problem=True), 400
        session["language"] = chosen
        if respondent is not None and respondent.response is not None:
            services.change_language(db.session, _catalogue(), respondent.response, chosen)
        return redirect(back)
    return _language_page(offered, back)


def _language_page(offered: tuple[str, ...], back: str, problem: bool = False) -> str:
    choices = [{"code": code, "name": language_name(code), "english": language_in_english(code),
                "dir": text_direction(code), "font": font_for(code)} for code in offered]
    return render_template("respond/language.html", choices=choices, back=back,
                           current=str(get_locale()), problem=problem,
                           fonts=sorted({c["font"] for c in choices if c["font"]}))


_AUDIO_NAME = re.compile(r"[0-9a-f]{24}\.(mp3|ogg|m4a|wav)")


@bp.get("/audio/<kind>/<language>/<name>")
def audio(kind: str, language: str, name: str):  # type: ignore[no-untyped-def]
    """A question or answer read aloud (files named by their words: see ``viewpoint.audio``)."""
    if (kind not in ("recorded", "generated") or language not in available_languages()
            or not _AUDIO_NAME.fullmatch(name)):
        abort(404)
    return send_from_directory(audio_dir() / kind / language, name, max_age=86400)


def _is_local(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")


# --- finishing ---

@bp.route("/finish", methods=["GET", "POST"])
def finish():  # type: ignore[no-untyped-def]
    respondent, response = _require_response()
    snapshot = services.snapshot(db.session, response)
    answers = services.answers_of(db.session, response)
    pages = flow.paginate(snapshot, services.given_values(answers))
    shown = [q for p in pages for q in p.questions]
    skipped = [q for q in shown if q["key"] not in answers]
    if request.method == "POST":
        helped_by = request.form.get("helped_by") or None
        try:
            services.submit_response(db.session, response, helped_by)
        except services.AnswerRejected:
            abort(400)
        raised = alerts_for_response(db.session, response)
        worrying = [a for a in raised if a.source is AlertSource.ANSWER]
        asked_to_talk = any(a.source is AlertSource.TALK_TO_SOMEONE for a in raised)
        manager = _manager(respondent)
        _clear_session()
        page = make_response(render_template(
            "respond/thanks.html", worker=_worker_name(respondent), review=response.review,
            alerts=worrying, asked_to_talk=asked_to_talk, manager=manager))
        page.headers["Clear-Site-Data"] = '"cache", "storage"'
        return page
    return render_template("respond/finish.html", respondent=respondent, skipped=skipped,
                           last=pages[-1] if pages else None, shown=shown)
