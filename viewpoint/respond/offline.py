"""Answering with no connection: what the tablet keeps so that the whole questionnaire works
offline, and how what was done offline reaches the server once it is back.

Once the child has typed their code online, the page's script asks for the *pack*
(:func:`pack`: the pages and their rules, the child's answers so far, this session's
tokens) and the *copies* (:func:`copies`: every page of their band in their language, in
one download), kept by the tablet; the service worker (``static/js/offline.js``) serves a
copy when the page moves on by itself, and whenever the network cannot. The copies hold no
answers, no names and no tokens: the page's script fills in this tab's tokens and the
child's answers, and works out which page comes next from the questionnaire's ``show_if``
rules, so that a child can go forward and back, answer, change answers and finish with no
connection.

Finishing, stopping or asking to talk while offline cannot wait for the child's code to be
typed again: the child has gone. So the page seals what was done (every answer still
waiting and the step itself) with a key only the server and this tab know
(:func:`seal_key`, derived from the app's secret and the response), keeps it on the
tablet, forgets the key, and any child's page on this tablet sends the sealed record once
the network is back (:func:`sync`). Nobody using the tablet can read it: the key is gone
from the tablet, and the server alone can make it again.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from ..audio import library
from ..compression import accepts_gzip, static_build
from ..extensions import csrf, db
from ..i18n import available_languages, font_for
from ..models import Response, stored_value
from ..operations import answers as services
from ..operations.alerts import raise_talk_to_someone
from ..questionnaires import flow
from ..security import takes_json
from .answering import catalogue, saving
from .anytime import language_page
from .blueprint import bp
from .helping import helpers_for
from .rendering import can_hear, question_html
from .session import Respondent, with_response

#: The steps a sealed record can carry, each with the answers still waiting with it.
STEPS = ("finish", "stop", "talk")

#: The most a sealed record may weigh: every answer of the longest questionnaire, in text.
SEALED_MOST_BYTES = 512 * 1024

_REF = re.compile(r"([1-9][0-9]{0,9})\.([0-9a-f]{24})")


def seal_key(response: Response) -> bytes:
    """The AES-256 key a tablet seals this response's offline steps with: made again from
    the app's secret whenever a sealed record arrives, so it is kept nowhere."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"offline-seal:{response.id}".encode(), hashlib.sha256).digest()


def seal_ref(response: Response) -> str:
    """What a sealed record is filed under: the response and its page token (which proves
    the reference came from a page of this app)."""
    return f"{response.id}.{services.response_token(response)}"


@bp.get("/offline/pack")
@with_response
def pack(respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """What this child's tablet needs to answer offline, in the page's language: every
    page with the rules that decide which are shown, the child's answers so far, this
    session's tokens, where the copies and files are, and the key that seals what is done
    offline. Kept only in the tab (sessionStorage)."""
    snapshot = services.snapshot(db.session, response, respondent.digest)
    language = str(get_locale())
    pages = [{"key": page.key, "url": url_for("respond.questions", key=page.key),
              "questions": [{"key": q["key"], "show_if": q.get("show_if")} for q in page.held]}
             for page in flow.every_page(snapshot)]
    files = [url_for("static", filename=name) for name in
             ("css/child.css", "js/respond.js", "img/favicon.svg")]
    font = font_for(language)
    if font:
        files.append(url_for("static", filename=f"fonts/{font}.css"))
        folder = Path(current_app.static_folder or "static") / "fonts" / font
        files += [url_for("static", filename=f"fonts/{font}/{path.name}")
                  for path in sorted(folder.glob("*.woff2"))]
    answers = services.answers_of(db.session, response)
    reply = jsonify(
        language=language,
        token=services.response_token(response),
        # The copies hold no CSRF token and no page token: the page fills them in from here.
        csrf=generate_csrf(),
        pages=pages,
        finish=url_for("respond.finish"),
        copies=url_for("respond.copies"),
        files=files,
        # Files kept on the tablet from before are thrown away when the app's files change.
        build=static_build(),
        # The child's answers so far (given on another day or tablet too): the page fills
        # the copies in with them and works out from them which pages the child sees.
        answers={key: {"value": None if row.declined else stored_value(row.value),
                       "declined": row.declined} for key, row in answers.items()},
        seal={"ref": seal_ref(response),
              "key": base64.b64encode(seal_key(response)).decode(),
              "device": respondent.invitation.session_generation})
    reply.headers["Cache-Control"] = "no-store"
    return reply


#: The copies as sent, by what they depend on (see :func:`copies`).
_COPIES: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
_COPIES_MOST = 64


@bp.get("/offline/copies")
@with_response
def copies(respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """Every page the tablet keeps for this child, in one download: ``{"pages": {name:
    html}, "paths": {address: name}}`` (a page of questions is kept under the address of
    each of its questions, as the page may be reached by any of them).

    The copies depend only on the wording (the snapshot), the language and the read-aloud
    setting, never on the child: they carry no CSRF token, no page token and no name. So
    they are made once per process and sent compressed (no secret in them for the BREACH
    attack to find).
    """
    snapshot = services.snapshot(db.session, response, respondent.digest)
    language = str(get_locale())
    key = (respondent.digest or response.questionnaire_version_id, snapshot.band, language,
           bool(session.get("auto_read")), library().current_version(language), static_build())
    kept = _COPIES.get(key)
    if kept is None:
        plain = json.dumps(_every_copy(respondent, response, snapshot)).encode()
        kept = (plain, gzip.compress(plain, compresslevel=9, mtime=0))
        if len(_COPIES) >= _COPIES_MOST:
            _COPIES.clear()
        _COPIES[key] = kept
    plain, packed = kept
    reply = make_response(plain)
    reply.headers["Content-Type"] = "application/json"
    reply.vary.add("Accept-Encoding")
    if accepts_gzip():
        reply.set_data(packed)
        reply.headers["Content-Encoding"] = "gzip"
    return reply


def _every_copy(respondent: Respondent, response: Response,
                snapshot: Any) -> dict[str, dict[str, str]]:
    secrets_here = (generate_csrf(), services.response_token(response))
    pages: dict[str, str] = {}
    paths: dict[str, str] = {}

    def keep(name: str, html: str, *addresses: str) -> None:
        for secret in secrets_here:
            html = html.replace(secret, "")
        pages[name] = html
        for address in addresses:
            paths[address] = name

    every = flow.every_page(snapshot)
    for page in every:
        keep(page.key, _page_html(respondent, response, snapshot, every, page),
             *(url_for("respond.questions", key=q["key"]) for q in page.held))
    keep("finish", _finish_html(respondent, every), url_for("respond.finish"))
    keep("language", language_page(available_languages(), url_for("respond.start")),
         url_for("respond.language"))
    for step in ("finish", "stop", "talk", "waiting"):
        keep(f"done-{step}", _done_html(respondent, step),
             url_for("respond.offline_done", step=step))
    return {"pages": pages, "paths": paths}


def _page_html(respondent: Respondent, response: Response, snapshot: Any,
               pages: list[flow.Page], page: flow.Page) -> str:
    return render_template(
        "respond/questions.html", respondent=respondent, response=response, snapshot=snapshot,
        page=page, pages=pages, answers={}, problems={}, band=snapshot.band_rules,
        token=services.response_token(response), digest=respondent.digest,
        question_html=question_html, save_ids={q["key"]: "" for q in page.held},
        audio_available=can_hear(str(get_locale())), offline_copy=True,
        auto_read=session.get("auto_read", False))


def _finish_html(respondent: Respondent, pages: list[flow.Page]) -> str:
    return render_template("respond/finish.html", respondent=respondent, skipped=[],
                           last=pages[-1] if pages else None, shown=[], offline_copy=True)


def _done_html(respondent: Respondent, step: str) -> str:
    return render_template("respond/offline.html", step=step, helpers=helpers_for(respondent))


@bp.get("/offline/page/<key>")
@with_response
def page_copy(key: str, respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """The copy of a page of questions the tablet keeps: no answers, follow-ups waiting for
    the answer that opens them, the child's answers filled in by the page's script."""
    snapshot = services.snapshot(db.session, response, respondent.digest)
    pages = flow.every_page(snapshot)
    page = next((p for p in pages if p.key == key), None)
    if page is None:
        abort(404)
    return _page_html(respondent, response, snapshot, pages, page)


@bp.get("/offline/finish")
@with_response
def finish_copy(respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """The copy of the last page the tablet keeps: who helped, and sending."""
    snapshot = services.snapshot(db.session, response, respondent.digest)
    return _finish_html(respondent, flow.every_page(snapshot))


@bp.get("/offline/done/<any(finish, stop, talk, waiting):step>")
@with_response
def offline_done(step: str, respondent: Respondent, response: Response):  # type: ignore[no-untyped-def]
    """What the child is told after finishing, stopping or asking to talk with no
    connection, and what a tablet reopened offline shows: kept, in the page's language."""
    return _done_html(respondent, step)


@bp.get("/sw.js")
def service_worker():  # type: ignore[no-untyped-def]
    """The service worker: served from the top of the site so that it may answer for every
    page of the child's (it leaves every other page alone)."""
    path = Path(current_app.static_folder or "static") / "js" / "offline.js"
    reply = make_response(path.read_bytes())
    reply.headers["Content-Type"] = "text/javascript; charset=utf-8"
    # The browser looks for a new version each time a child's page opens: from its own
    # cache for an hour (the page registers it so), then from here; a new version reaches
    # every tablet within the hour (and at once after a child finishes: that clears it).
    reply.headers["Cache-Control"] = "max-age=3600"
    reply.add_etag()
    return reply.make_conditional(request)


@bp.post("/offline/sync")
@csrf.exempt
@takes_json
def sync():  # type: ignore[no-untyped-def]
    """A sealed record from a tablet back online: the answers that waited, in the child's
    order, and the step taken offline (finishing: the response is sent and its alerts
    raised; stopping: every copy of the child's session stops working; asking to talk).

    No session is needed (it may be another child's page that sends it, or the start page),
    and no CSRF token: only a tablet given this response's key could have sealed it, so the
    seal is the proof. Sending the same record again changes nothing.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not all(
            isinstance(payload.get(name), str) for name in ("ref", "iv", "data")):
        return jsonify(status="invalid", message="expected ref, iv and data"), 400
    found = _REF.fullmatch(payload["ref"])
    response = db.session.get(Response, int(found.group(1))) if found else None
    if response is None or not hmac.compare_digest(services.response_token(response),
                                                   found.group(2)):
        return jsonify(status="unknown"), 404
    try:
        iv = base64.b64decode(payload["iv"], validate=True)
        sealed = base64.b64decode(payload["data"], validate=True)
        if len(iv) != 12 or len(sealed) > SEALED_MOST_BYTES:
            raise ValueError("wrong size")
        plain = AESGCM(seal_key(response)).decrypt(iv, sealed, payload["ref"].encode())
        record = json.loads(plain)
    except (ValueError, InvalidTag):
        return jsonify(status="unreadable"), 400
    if not isinstance(record, dict) or record.get("step") not in STEPS \
            or not isinstance(record.get("saves"), list):
        return jsonify(status="unreadable"), 400
    now = payload.get("now")
    db.take_write_lock()
    results = []
    if response.submitted_at is None:
        device = record.get("device") if isinstance(record.get("device"), int) else None
        sent = [save for save in record["saves"][:SAVES_MOST]
                if isinstance(save, dict) and isinstance(save.get("question"), str)]
        saves = [saving({**save, "waited": _waited(now, save.get("given"))}) for save in sent]
        try:
            stored = iter(services.record_answers(
                db.session, catalogue(), response,
                [save for save in saves if isinstance(save, services.Save)], device=device))
            for save, one in zip(sent, saves, strict=True):
                if isinstance(next(stored) if isinstance(one, services.Save) else one,
                              services.AnswerRejected):
                    results.append(save.get("save_id"))
        except services.ResponseClosed:
            pass
    step = record["step"]
    if step == "talk":
        raise_talk_to_someone(db.session, response.invitation.review.plan.child, response)
    elif response.submitted_at is None and step == "finish":
        helped = record.get("helped_by")
        try:
            services.submit_response(db.session, response, helped if isinstance(helped, str)
                                     else None)
        except services.AnswerRejected:
            services.submit_response(db.session, response, None)
    elif response.submitted_at is None and step == "stop":
        services.end_session(response.invitation)
    return jsonify(status="stored", submitted=response.submitted_at is not None,
                   refused=results)


#: The most saves a sealed record is read for (one per question of the longest questionnaire).
SAVES_MOST = 200


def _waited(now: object, given: object) -> int | None:
    """How long a save waited, by the tablet's clock: sent with the record, in clear, as the
    tablet's time of sending; ``given`` is sealed with the answer."""
    if isinstance(now, bool) or isinstance(given, bool):
        return None
    if isinstance(now, int) and isinstance(given, int) and now >= given:
        return now - given
    return None
