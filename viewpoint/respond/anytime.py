"""What a child can do from any page: ask to talk to someone, stop for now, have questions
read aloud, choose the language; and the read-aloud files themselves."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from flask import (
    Response,
    abort,
    current_app,
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

from .. import audio as speech
from ..audio import AUDIO_TYPES, audio_store
from ..extensions import csrf, db
from ..i18n import available_languages, font_for, language_in_english, language_name, text_direction
from ..operations import answers as services
from ..operations.alerts import raise_talk_to_someone, worker_first_name
from ..questionnaires.helplines import every_helpline
from ..security import same_site_path, takes_json
from ..storage import StoreUnavailable
from .answering import catalogue, resume_url
from .blueprint import bp
from .helping import helpers_for
from .rendering import say_signature
from .session import Respondent, clear_tablet, with_optional_respondent, with_respondent

_AUDIO_NAME = re.compile(r"[0-9a-f]{24}\.(mp3|ogg|m4a|wav|webm)")
#: A day: files are named by their words, so a name's bytes change only when re-recorded.
_AUDIO_MAX_AGE = 86400

log = logging.getLogger(__name__)


@bp.post("/talk")
@with_optional_respondent
def talk(respondent: Respondent | None):  # type: ignore[no-untyped-def]
    """"I want to talk to someone": tell the worker, and show who the child can call now."""
    if respondent is None:
        return render_template("respond/help.html", helplines=every_helpline())
    raise_talk_to_someone(db.session, respondent.child, respondent.response)
    return render_template("respond/talk.html", worker=worker_first_name(respondent.child),
                           helpers=helpers_for(respondent),
                           back=resume_url(respondent.response) if respondent.response
                           else url_for("respond.welcome"))


@bp.post("/stop")
@with_optional_respondent
def stop(respondent: Respondent | None):  # type: ignore[no-untyped-def]
    """Stop for now: answers are kept; the tablet is cleared for the next person, except
    answers the server has not got yet (the page's script says how many), which stay on it,
    encrypted, until the child types their code here again; the page says so."""
    if respondent is not None:
        services.end_session(respondent.invitation)
    clear_tablet()
    sent = request.form.get("waiting", "")
    waiting = int(sent) if sent.isascii() and sent.isdigit() and len(sent) < 4 else 0
    response = make_response(render_template("respond/stopped.html", waiting=waiting))
    # Clearing the site's storage would destroy what still waits (this child's or another's,
    # kept only sealed); the page's script clears this tab's own storage instead.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.post("/read-aloud")
@with_respondent
def read_aloud(respondent: Respondent):  # type: ignore[no-untyped-def]
    """Switch reading every question aloud automatically on or off (kept for this session)."""
    session["auto_read"] = request.form.get("auto_read") == "on"
    return redirect(same_site_path(request.form.get("next")) or url_for("respond.welcome"))


@bp.route("/language", methods=["GET", "POST"])
@with_optional_respondent
def language(respondent: Respondent | None):  # type: ignore[no-untyped-def]
    """Choose the language of every page, from any page: the child comes back to where they
    were, with every answer kept, and the questions in the language they chose."""
    back = same_site_path(request.values.get("back")) or url_for("respond.start")
    offered = available_languages()
    if request.method == "POST":
        chosen = request.form.get("language")
        if chosen not in offered:
            return language_page(offered, back, problem=True), 400
        session["language"] = chosen
        if respondent is not None and respondent.response is not None:
            services.change_language(db.session, catalogue(), respondent.response, chosen)
        return redirect(back)
    return language_page(offered, back)


def language_page(offered: tuple[str, ...], back: str, problem: bool = False) -> str:
    """The list of languages (also kept on the tablet for offline use: see offline.py)."""
    choices = [{"code": code, "name": language_name(code), "english": language_in_english(code),
                "dir": text_direction(code), "font": font_for(code)} for code in offered]
    return render_template("respond/language.html", choices=choices, back=back,
                           current=str(get_locale()), problem=problem,
                           fonts=sorted({c["font"] for c in choices if c["font"]}))


@bp.get("/audio/<kind>/<language>/<name>")
def audio(kind: str, language: str, name: str):  # type: ignore[no-untyped-def]
    """A question or answer read aloud (files named by their words: see ``viewpoint.audio``).

    Aborts with 404 for anything but a known kind, an offered language and a file name of
    the audio store's own pattern, or a file the store does not have; with 503 if the store
    cannot be reached (the page's script then uses the tablet's own voice).
    """
    if (kind not in ("recorded", "generated", "pages") or language not in available_languages()
            or not _AUDIO_NAME.fullmatch(name)):
        abort(404)
    store, key = audio_store(), f"{kind}/{language}/{name}"
    local = store.local_path(key)
    if local is not None:  # a folder: sent by the web server's own file handling
        return send_from_directory(local.parent, local.name, max_age=_AUDIO_MAX_AGE)
    try:
        data = store.read(key)
    except StoreUnavailable as exc:
        log.error("read-aloud audio not served: %s", exc)
        abort(503)
    if data is None:
        abort(404)
    reply = Response(data, mimetype=AUDIO_TYPES["." + name.rsplit(".", 1)[1]])
    reply.cache_control.public = True
    reply.cache_control.max_age = _AUDIO_MAX_AGE
    reply.set_etag(hashlib.sha256(data).hexdigest()[:32])
    # Ranges: Safari asks for the first bytes of a file before it plays any of it.
    return reply.make_conditional(request, accept_ranges=True, complete_length=len(data))


#: Longest words the page may ask to hear at once (the longest introduction is far shorter).
_SAY_LIMIT = 3000


@bp.post("/say")
@csrf.exempt
@takes_json
def say():  # type: ignore[no-untyped-def]
    """Words on a page read aloud, made on first need (see ``rendering.spoken``).

    Only words this app put on a page, signed by it, are made: anyone else's words get 403.
    Words without a name are kept for the next child; words with one are made for this
    page, never written down and never cached. Nothing about the child's session is read or
    changed, so no CSRF token is needed: the signature is the proof.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(status="invalid"), 400
    language, text = payload.get("language"), payload.get("text")
    keep, signature = payload.get("keep"), payload.get("sig")
    if (language not in available_languages() or keep not in (0, 1)
            or not isinstance(text, str) or not isinstance(signature, str)
            # (compare_digest raises TypeError for text beyond ASCII; a signature is hex.)
            or not signature.isascii() or not 0 < len(text) <= _SAY_LIMIT):
        return jsonify(status="invalid"), 400
    expected = say_signature(language, bool(keep), text)
    if not hmac.compare_digest(expected, signature):
        return jsonify(status="not_ours"), 403
    try:
        spoken = speech.make_now(current_app, language, " ".join(text.split()), keep=bool(keep))
    except (speech.SynthesiserBusy, speech.SynthesisFailed):
        return jsonify(status="busy"), 503
    if spoken is None:
        return jsonify(status="no_voice"), 404
    reply = make_response(spoken)
    reply.headers["Content-Type"] = "audio/mpeg"
    reply.headers["Cache-Control"] = "no-store"
    return reply
