"""Question HTML, rendered once per wording and filled in with each child's answers.

The question page is the page children load most, on slow tablets, many at once before
reviews. Its questions depend only on the snapshot's wording and the page's language, so
each question's HTML is rendered by the ``question_field`` macro once per process and
cached; a request then only marks the child's own answers and save id in it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, get_template_attribute, render_template, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import audio
from ..audio import library
from ..models import stored_value

#: Stands in for the per-render save id in cached HTML.
_SAVE_ID = "__viewpoint_save_id__"
_FRAGMENTS: dict[tuple[str, str, str, str, int], str] = {}
_LIMIT = 4096


def say_signature(language: str, keep: bool, text: str) -> str:
    """Proof that this app put ``text`` on a page in ``language``: only such words are ever
    synthesised on request (see ``anytime.say``), so nobody can use the service to make
    speech of their own."""
    key = current_app.secret_key
    message = f"{language}\n{int(keep)}\n{' '.join(text.split())}"
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()[:32]


def spoken(text: str | None, personal: bool = False, recorded: str | None = None,
           language: str | None = None) -> Markup:
    """The read-aloud button's attributes for ``text`` in the page's language.

    A recording or a file already made is linked (``data-audio``). Otherwise, where a
    synthesiser speaks the language, the page's script asks for the words to be made on
    first need (``data-say``): kept for the next child, unless ``personal`` (words with a
    child's or worker's name, or a date), which are made for this page only and never
    written down. Where neither is possible, nothing: the tablet's own voice is used.
    """
    if recorded:
        return Markup(' data-audio="%s"') % url_for("static", filename=recorded)
    text = " ".join((text or "").split())
    if not text:
        return Markup("")
    language = language or str(get_locale())
    found = None if personal else library().file_for(language, text)
    if found is not None:
        kind, folder, name = found.split("/")
        return Markup(' data-audio="%s"') % url_for("respond.audio", kind=kind,
                                                    language=folder, name=name)
    if not audio.has_voice(language):
        return Markup("")
    keep = not personal
    return Markup(' data-say="%s" data-say-keep="%d" data-say-lang="%s" data-say-text="%s"') % (
        say_signature(language, keep, text), int(keep), language, text)


def can_hear(language: str) -> bool:
    """Whether words in ``language`` can be heard from a file or a synthesiser (else only
    from the tablet's own voice, if it has one)."""
    return audio.has_voice(language) or library().has_language(language)


def _blank(digest: str, question: dict[str, Any], band: Any) -> str:
    locale = str(get_locale())
    # The audio folder's version: audio built or recorded since is linked without a restart.
    key = (digest, question["key"], band.key, locale, library().current_version(locale))
    html = _FRAGMENTS.get(key)
    if html is None:
        macro = get_template_attribute("respond/macros.html", "question_field")
        html = str(macro(question, None, band, _SAVE_ID))
        if len(_FRAGMENTS) >= _LIMIT:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = html
    return html


_MESSAGES: dict[str, Markup] = {}
_CONTROLS: dict[tuple[str, int], str] = {}
_CSRF = "__viewpoint_csrf__"


def page_controls() -> Markup:
    """"I want to talk to someone" and "Stop for now", on every page once the child is in:
    rendered once per language, with this session's CSRF token filled in."""
    locale = str(get_locale())
    # The audio folder's version: words made since (the first child to press a button
    # made them) are linked as files from then on, not made again.
    key = (locale, library().current_version(locale))
    html = _CONTROLS.get(key)
    if html is None:
        macro = get_template_attribute("respond/macros.html", "always_there")
        html = _CONTROLS[key] = str(macro(csrf=_CSRF))
    return Markup(html.replace(_CSRF, generate_csrf()))  # noqa: S704


def page_messages() -> Markup:
    """The words respond.js shows (saved, offline, cannot read aloud...), in the page's
    language: the same on every page, so rendered once per language."""
    locale = str(get_locale())
    html = _MESSAGES.get(locale)
    if html is None:
        html = _MESSAGES[locale] = Markup(render_template("respond/_messages.html"))  # noqa: S704
    return html


def _check(html: str, question_key: str, value: str, element_id: str | None = None) -> str:
    choice = f'id="q-{question_key}-{element_id or value}" value="{value}"'
    return html.replace(choice, choice + " checked", 1)


def question_html(digest: str, question: dict[str, Any], band: Any, answer: Any | None,
                  save_id: str, problem: str | None = None) -> Markup:
    """The question's fieldset with the child's answer marked, as the macro would render it."""
    if problem is not None:  # rare (a refused answer without JavaScript): render afresh
        macro = get_template_attribute("respond/macros.html", "question_field")
        rendered: Markup = macro(question, answer, band, save_id, problem)
        return rendered
    html = _blank(digest, question, band).replace(_SAVE_ID, save_id, 1)
    if answer is None:
        return Markup(html)  # noqa: S704 (rendered by our own autoescaping template)
    key = question["key"]
    if answer.declined:
        return Markup(_check(html, key, "_declined", "declined"))  # noqa: S704
    value = stored_value(answer.value)
    if question["type"] == "free_text":
        html = html.replace("></textarea>", f">{escape(value or '')}</textarea>", 1)
    else:
        for chosen in value if isinstance(value, list) else [value]:
            html = _check(html, key, str(escape(str(chosen))))
    return Markup(html)  # noqa: S704
