"""Languages: which are offered, which one a request gets, and which way it reads."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, pgettext

from .extensions import babel


@cache
def translations_dir() -> Path:
    from . import resource_dir

    return resource_dir("translations")


@cache
def _languages_in(directory: str) -> tuple[str, ...]:
    found = {path.parent.parent.name
             for path in Path(directory).glob("*/LC_MESSAGES/messages.mo")}
    return ("en", *sorted(found - {"en"}))


def available_languages() -> tuple[str, ...]:
    """Language codes with a compiled catalog, English first."""
    return _languages_in(str(translations_dir()))


def select_locale() -> str:
    """The one place that decides a request's language.

    In order: a language the page has fixed (``g.locale``, set by the child's pages
    from the child's own choice or the invitation), the language chosen in this
    session, the browser's preferences, then the default.
    """
    offered = available_languages()
    if not has_request_context():  # commands and background work
        return current_app.config.get("DEFAULT_LOCALE", "en")
    fixed = g.get("locale")
    if fixed in offered:
        return fixed
    chosen = session.get("language")
    if chosen in offered:
        return chosen
    from_browser = request.accept_languages.best_match(offered)
    return from_browser or current_app.config.get("DEFAULT_LOCALE", "en")


def text_direction(locale: Locale | None = None) -> str:
    """"rtl" or "ltr", from Babel's locale data rather than a hand-kept list."""
    locale = locale or get_locale()
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def language_name(code: str) -> str:
    """A language's name in its own script ("اردو" for "ur")."""
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code


def language_in_english(code: str) -> str:
    """A language's name in English ("Polish" for "pl"), or the code if Babel does not know it."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


def language_label(code: str) -> str:
    """"Urdu (اردو)" for staff: the English name, and the language's own name when it differs."""
    english, own = language_in_english(code), language_name(code)
    return english if own in (english, code) else f"{english} ({own})"


def translate_in_context(context: str, message: str) -> str:
    """Questionnaire text in the request's language (extracted with its context)."""
    return pgettext(context, message)


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime,
                                 language_name=language_name)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        locale = get_locale()
        return {"html_lang": str(locale).replace("_", "-") if locale else "en",
                "html_dir": text_direction(locale)}
