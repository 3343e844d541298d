"""Answering: the welcome page, starting, the questions page by page, the page's autosave,
and finishing.

Tablets lose Wi-Fi mid-question, so with JavaScript every answer is saved on its own as it
is given (:func:`save_answer`); without it, a page's answers are saved when the child
presses Next or Back (:func:`questions`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import (
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from ..extensions import db, locks_late
from ..models import Alert, AlertSource, Response
from ..operations import answers as services
from ..operations.alerts import alerts_for_response, who_is_told, worker_first_name
from ..operations.feedback import mark_feedback_seen, unseen_feedback_for_child
from ..questionnaires import Catalogue, flow
from ..questionnaires.library import served
from ..questionnaires.snapshot import Snapshot
from ..security import cleans_its_own_text, row_id, takes_json
from .blueprint import bp
from .helping import helpers_for
from .rendering import can_hear, question_html
from .session import (
    Respondent,
    clear_tablet,
    why_signed_out,
    with_respondent,
    with_response,
    with_response_json,
)


def catalogue() -> Catalogue:
    """The questionnaires this app serves."""
    return served()


def _progress(response: Response,
              digest: str | None = None) -> tuple[Snapshot, dict[str, Any], list[flow.Page]]:
    """The wording the child answers, their answers so far, and the pages they now see."""
    snapshot = services.snapshot(db.session, response, digest)
    answers = services.answers_of(db.session, response)
    return snapshot, answers, flow.paginate(snapshot, services.given_values(answers))


def resume_url(response: Response) -> str:
    """Where the child carries on: the page they were on, or the first page with a question
    still unanswered, or finishing when there is none."""
    _snapshot, answers, pages = _progress(response)
    page = flow.resume_page(pages, response.resume_at, set(answers))
    if page is None:
        return url_for("respond.finish")
    return url_for("respond.questions", key=page.key)


# --- welcome and starting ---

@bp.get("/welcome")
@with_respondent
def welcome(respondent: Respondent):  # type: ignore[no-untyped-def]
    """Who is asking, who will read the answers, and what workers wrote back."""
    return render_template(
        "respond/welcome.html", respondent=respondent, child=respondent.child,
        worker=worker_first_name(respondent.child), review=respondent.invitation.review,
        audio_available=can_hear(str(get_locale())),
        helpers=helpers_for(respondent),
        has_started=respondent.response is not None and bool(
            services.answers_of(db.session, respondent.response)),
        # "You said, we did": what workers wrote back since the child last answered.
        feedback=unseen_feedback_for_child(db.session, respondent.child.id))


@bp.post("/start")
@with_respondent
def begin(respondent: Respondent):  # type: ignore[no-untyped-def]
    """Start (or carry on): the child's response is created on first use."""
    # What was written back to the child is marked seen here, not when the welcome page is
    # shown: GET pages on the child's side never write, so that many children opening their
    # questionnaires at once never queue for SQLite's single write lock just to read. This
    # POST already holds that lock (taken at BEGIN for every write request), and it marks
    # only the notes the welcome page listed, so a note written in between is still shown.
    seen = (row_id(sent) for sent in request.form.getlist("seen_feedback"))
    mark_feedback_seen(db.session, respondent.child.id, (i for i in seen if i is not None))
    response = respondent.response or services.start_response(
        db.session, catalogue(), respondent.invitation, str(get_locale()))
    return redirect(resume_url(response))


# --- the questions ---

@bp.route("/questions/<key>", methods=["GET", "POST"])
@cleans_its_own_text
@with_response
def questions(key: str, respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """A page of questions, shown or (without JavaScript) saved; addressed by the key of
    its first question, so that an address never moves when answers show or hide others."""
    problems: dict[str, str] = {}
    if request.method == "POST":
        problems = _save_page(response, request.form, respondent)
    snapshot, answers, pages = _progress(response, respondent.digest)
    page = flow.page_holding(pages, key)
    if page is None:
        return redirect(resume_url(response))
    if request.method == "POST" and not problems:
        action = request.form.get("action", "next")
        # Follow-ups the page held hidden were sent but not seen (without the script).
        seen = set(request.form.getlist("question")) - set(request.form.getlist("waiting"))
        if action == "next" and flow.opened_on_page(page, set(answers), seen):
            return redirect(url_for("respond.questions", key=page.key))
        return _move_on(response, pages, page, action)
    if page.key != key:
        return redirect(url_for("respond.questions", key=page.key))
    # Showing a page writes nothing: the place is kept by saves and by Next/Back, so that
    # reads never need the database's write lock.
    return render_template(
        "respond/questions.html", respondent=respondent, response=response, snapshot=snapshot,
        page=page, pages=pages, answers=answers, problems=problems,
        band=snapshot.band_rules, token=services.response_token(response),
        digest=respondent.digest, question_html=question_html,
        save_ids={q["key"]: secrets.token_urlsafe(12)
                  for q, _shown in page.in_order()},
        audio_available=can_hear(str(get_locale())),
        auto_read=session.get("auto_read", False)), 400 if problems else 200


def _move_on(response: Response, pages: list[flow.Page], page: flow.Page,
             action: str) -> Any:
    """Where the page's button leads once its answers are saved."""
    if action == "language":  # choose, then come back to this page
        return redirect(url_for("respond.language",
                                back=url_for("respond.questions", key=page.key)))
    if action == "back":
        previous = flow.page_before(pages, page)
        return redirect(url_for("respond.questions", key=previous.key) if previous
                        else url_for("respond.welcome"))
    following = flow.page_after(pages, page)
    if following is None:
        return redirect(url_for("respond.finish"))
    services.keep_place(response, following.key)
    return redirect(url_for("respond.questions", key=following.key))


def _save_page(response: Response, form: Any, respondent: Respondent) -> dict[str, str]:
    """Save every answer on a submitted page (the path without JavaScript); returns the
    problem to show beside each answer that was refused.

    Aborts with a redirect to the start page if the response has been sent meanwhile.
    """
    snapshot = services.snapshot(db.session, response, respondent.digest)
    saves: list[services.Save] = []
    problems: dict[str, str] = {}
    refused = _("Please choose one of the answers, or skip this question.")
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
            # The page's script gives each answer the sequence it had when the page was
            # sent, so that an older autosave still on its way is not stored after it.
            seq = services.save_sequence(form.get(f"seq-{key}"))
        except services.AnswerRejected:
            problems[key] = refused
            continue
        saves.append(services.Save(key, value, declined, form.get(f"save-{key}") or None, seq))
    try:
        results = services.record_answers(db.session, catalogue(), response, saves,
                                          device=respondent.invitation.session_generation)
    except services.ResponseClosed:  # sent from another device meanwhile: say so
        abort(redirect(url_for("respond.start", why="sent")))
    for save, result in zip(saves, results, strict=True):
        if isinstance(result, services.AnswerRejected):
            problems[save.key] = refused
    return problems


@bp.post("/answers")
@locks_late
@takes_json
@cleans_its_own_text
@with_response_json
def save_answer(respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """Autosave from the page's script: the answers waiting on the tablet, in one request
    (``{"token", "saves": [{"question", "value", "declined", "save_id", "seq", "waited"},
    ...], "at"}``), each idempotent by its save id, ordered by its sequence, and keeping when
    it was given if it waited on the tablet (milliseconds, by the tablet's clock), with the
    key of the page the child is on (``at``, optional); or one answer on its own (the shape
    pages cached before batching send).

    The busiest write in the service: everything that only reads (the session, the
    token, the answers' shape) is done before the write lock is taken.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(status="invalid", message="expected token and saves"), 400
    if payload.get("token") != services.response_token(response):
        return jsonify(status="wrong_child"), 409
    batch = payload.get("saves")
    if batch is None:  # one answer, as before
        if not isinstance(payload.get("question"), str):
            return jsonify(status="invalid", message="expected question, value, save_id"), 400
        try:
            result = save_one(respondent, response, payload, db.take_write_lock)
        except services.AnswerRejected as exc:
            return jsonify(status="invalid", message=str(exc)), 422
        except services.ResponseClosed:
            return jsonify(status="submitted"), 409
        return jsonify(status="saved", changed=result.changed, superseded=result.superseded,
                       saved_at=result.saved_at.isoformat() if result.saved_at else None)
    if (not isinstance(batch, list) or not 0 < len(batch) <= SAVES_PER_REQUEST
            or not all(isinstance(save, dict) and isinstance(save.get("question"), str)
                       for save in batch)):
        return jsonify(status="invalid", message=f"expected 1 to {SAVES_PER_REQUEST} saves, "
                                                 "each with a question"), 400
    locked: list[bool] = []

    def lock_once() -> None:  # one write transaction for the whole batch
        if not locked:
            db.take_write_lock()
            locked.append(True)

    saves = [saving(save) for save in batch]
    try:
        stored = iter(services.record_answers(
            db.session, catalogue(), response,
            [save for save in saves if isinstance(save, services.Save)],
            device=respondent.invitation.session_generation, before_write=lock_once))
    except services.ResponseClosed:
        return jsonify(status="submitted"), 409
    results = []
    for sent, save in zip(batch, saves, strict=True):
        result = next(stored) if isinstance(save, services.Save) else save
        if isinstance(result, services.AnswerRejected):
            results.append({"save_id": sent.get("save_id"), "status": "invalid",
                            "message": str(result)})
        else:
            results.append({"save_id": sent.get("save_id"),
                            "status": "superseded" if result.superseded else "saved"})
    # The page the child is on, when the page moved there by itself (see respond.js): they
    # carry on there next time, as after Next without the script (each save above put them
    # at its own question, which may be on the page before).
    at = payload.get("at")
    if isinstance(at, str) and services.snapshot(
            db.session, response, respondent.digest).question(at) is not None:
        lock_once()
        services.keep_place(response, at)
    return jsonify(status="saved", results=results)


#: The most saves one request may carry (a tablet back online after a whole questionnaire
#: answered offline has at most one per question).
SAVES_PER_REQUEST = 100


def saving(save: dict[str, Any]) -> services.Save | services.AnswerRejected:
    """One save as the page's script sends it (``{"question", "value", "declined",
    "save_id", "seq", "waited"}``), or why it cannot be stored."""
    try:
        seq = services.save_sequence(save.get("seq"))
    except services.AnswerRejected as exc:
        return exc
    return services.Save(save["question"], save.get("value"), bool(save.get("declined")),
                         save.get("save_id"), seq, services.waited(save.get("waited")))


def save_one(respondent: Respondent, response: Response, save: dict[str, Any],
             lock: Callable[[], None]) -> services.SaveResult:
    """One save from the page's script on its own. Raises ``AnswerRejected`` or
    ``ResponseClosed``."""
    one = saving(save)
    if isinstance(one, services.AnswerRejected):
        raise one
    result, = services.record_answers(db.session, catalogue(), response, [one],
                                      device=respondent.invitation.session_generation,
                                      before_write=lock)
    if isinstance(result, services.AnswerRejected):
        raise result
    return result


# --- finishing ---

@bp.route("/finish", methods=["GET", "POST"])
@locks_late
@with_response
def finish(respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """The questions the child skipped, who helped them, and sending; then thank you, and
    the tablet is cleared for the next person.

    Sending holds the write lock only while the response is submitted and counted: the
    thank-you page is made before it, from the alerts already raised (an answer's alert is
    raised when the answer is saved), and made again in the rare case that one more was
    raised meanwhile.
    """
    if request.method == "GET":
        _snapshot, answers, pages = _progress(response, respondent.digest)
        shown = [q for p in pages for q in p.questions]
        skipped = [q for q in shown if q["key"] not in answers]
        return render_template("respond/finish.html", respondent=respondent, skipped=skipped,
                               last=pages[-1] if pages else None, shown=shown)
    helped_by = request.form.get("helped_by") or None
    if not services.is_helper(helped_by):
        abort(400)
    worker, manager = who_is_told(db.session, respondent.child)
    helpers = helpers_for(respondent)
    snapshot = services.snapshot(db.session, response, respondent.digest)

    def thanks(raised: list[Alert]) -> str:
        # Asking for someone to talk with them (the button, or "yes" to a question asking
        # it) is told back as that; any other alert as keeping them safe.
        asked = [a for a in raised if a.source is AlertSource.TALK_TO_SOMEONE
                 or (a.question_key and snapshot.is_talk_request(a.question_key))]
        return render_template(
            "respond/thanks.html", worker=worker, review=response.review, helpers=helpers,
            alerts=[a for a in raised if a not in asked], asked_to_talk=bool(asked),
            manager=manager)

    raised = alerts_for_response(db.session, response)
    generation = respondent.invitation.session_generation
    clear_tablet()
    page = thanks(raised)
    db.take_write_lock()
    # What was read before the lock may have changed: the code typed on another device,
    # the answers sent (a double tap on Send), the code cancelled. The tablet is then
    # sent to the start page told why, as it would have been a moment later.
    db.session.refresh(respondent.invitation)
    db.session.refresh(response)
    why = why_signed_out(respondent.invitation, generation)
    if why is not None:
        return redirect(url_for("respond.start", why=why))
    services.submit_response(db.session, response, helped_by)
    now_raised = alerts_for_response(db.session, response)
    if [a.id for a in now_raised] != [a.id for a in raised]:
        page = thanks(now_raised)
    answer = make_response(page)
    # Not "storage": that would destroy answers still waiting on this tablet for another
    # child (sealed, unreadable here); the page's script clears this tab's own storage.
    answer.headers["Clear-Site-Data"] = '"cache"'
    return answer
