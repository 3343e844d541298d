"""Languages: which are offered, which one a request gets, and which way it reads."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates
from babel.core import get_global
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_timezone, pgettext, to_user_timezone
from markupsafe import Markup, escape

from .errors import is_childs_page
from .extensions import babel


@cache
def translations_dir() -> Path:
    from .config import resource_dir

    return resource_dir("translations")


#: Every language a child can answer in, English first. Each needs a complete catalog on the
#: child's side (``python -m viewpoint.catalogs check`` refuses to ship one that is not).
CHILD_LANGUAGES = ("en", "cy", "ur", "pa", "bn", "pl", "ro", "sk", "ar", "fa", "ps", "ckb", "ti")
#: Staff pages are offered in English and Welsh (the Welsh Language Standards).
STAFF_LANGUAGES = ("en", "cy")
#: Where a language's own name in Babel's data is not the one its speakers look for.
#: Many Afghan children call Persian "Dari"; both names are shown so they find it.
_OWN_NAMES = {"fa": "فارسی / دری", "ckb": "کوردی (سۆرانی)"}
_ENGLISH_NAMES = {"fa": "Persian / Dari", "ckb": "Kurdish (Sorani)"}


@cache
def _languages_in(directory: str) -> tuple[str, ...]:
    found = {path.parent.parent.name
             for path in Path(directory).glob("*/LC_MESSAGES/messages.mo")}
    return tuple(code for code in CHILD_LANGUAGES if code == "en" or code in found)


def available_languages() -> tuple[str, ...]:
    """The child's languages that have a compiled catalog, English first, in a fixed order."""
    return _languages_in(str(translations_dir()))


def staff_languages() -> tuple[str, ...]:
    offered = available_languages()
    return tuple(code for code in STAFF_LANGUAGES if code in offered)


def select_locale() -> str:
    """The one place that decides a request's language.

    On a child's pages, in order:

    1. the language the child chose on any of their pages (kept for their session, and
       through typing their code, because it was chosen by whoever is holding the tablet);
    2. the language the worker set on the invitation (once the child has typed their code:
       as loaded with the child on this request, else as kept in their session);
    3. the browser's preferences, among the languages with a translation;
    4. the configured default (``DEFAULT_LOCALE``), English unless set otherwise.

    Staff pages follow the same order without the invitation, among English and Welsh.
    Commands and background work use the configured default.
    """
    if not has_request_context():
        return current_app.config.get("DEFAULT_LOCALE", "en")
    if is_childs_page():
        offered = available_languages()
        candidates = (session.get("language"),
                      g.get("invitation_language") or session.get("invitation_language"))
    else:
        offered = staff_languages()
        candidates = (session.get("staff_language"),)
    for choice in candidates:
        if choice in offered:
            return choice
    default = current_app.config.get("DEFAULT_LOCALE", "en")
    return request.accept_languages.best_match(offered) or (default if default in offered
                                                            else "en")


def script_of(code: str) -> str:
    """The script a language is written in ("Arab" for "ur"), from Babel's likely subtags."""
    likely = get_global("likely_subtags").get(code, code)
    parts = likely.split("_")
    return next((part for part in parts[1:] if len(part) == 4 and part.istitle()), "Latn")


#: The font each script needs on the child's pages (``static/fonts/<name>.css``); scripts not
#: listed (Latin) use the tablet's own font. Urdu is read in Nastaliq, not Naskh.
FONTS = {"Arab": "noto-naskh-arabic", "Beng": "noto-sans-bengali", "Guru": "noto-sans-gurmukhi",
         "Ethi": "noto-sans-ethiopic"}
LANGUAGE_FONTS = {"ur": "noto-nastaliq-urdu"}


def font_for(code: str) -> str | None:
    """The name of the font a language's pages load, or None for the tablet's own."""
    return LANGUAGE_FONTS.get(code) or FONTS.get(script_of(code))


def isolate(value: object, direction: str | None = None) -> Markup:
    """A name, date or number set inside a sentence in another direction ("Amira" in Urdu):
    isolated, so that neither reorders the other. Phone numbers and codes are set
    left-to-right (``direction="ltr"``): "0800 1111" must not become "1111 0800".
    """
    openings = {None: Markup("<bdi>"), "ltr": Markup('<bdi dir="ltr">'),
                "rtl": Markup('<bdi dir="rtl">')}
    if direction not in openings:
        raise ValueError(f"not a direction: {direction!r}")
    return openings[direction] + escape(value) + Markup("</bdi>")


def text_direction(locale: Locale | str | None = None) -> str:
    """"rtl" or "ltr" for a locale or language code (the request's by default), from Babel's
    locale data rather than a hand-kept list."""
    locale = Locale.parse(locale) if isinstance(locale, str) else (locale or get_locale())
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def language_name(code: str) -> str:
    """A language's name in its own script ("اردو" for "ur")."""
    if code in _OWN_NAMES:
        return _OWN_NAMES[code]
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code


def language_in_english(code: str) -> str:
    """A language's name in English ("Polish" for "pl"), or the code if Babel does not know it."""
    if code in _ENGLISH_NAMES:
        return _ENGLISH_NAMES[code]
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


def language_label(code: str) -> str:
    """"Urdu (اردو)" for staff: the English name, and the language's own name when it differs."""
    english, own = language_in_english(code), language_name(code)
    return english if own in (english, code) else f"{english} ({own})"


#: The locale whose conventions a language's dates follow, where the bare language would
#: follow another country's. Babel's plain "en" is American English ("December 7, 2026");
#: this service writes British English ("7 December 2026"). Only dates use it: catalogs,
#: ``<html lang>`` and the audio stay under the language's own code.
FORMATTING_LOCALES = {"en": "en_GB"}
#: The English in which commands print dates, whatever the requests' default language.
BRITISH_ENGLISH = Locale.parse("en_GB")


def formatting_locale(locale: Locale | str | None = None) -> Locale:
    """The locale to format dates in for a language (the request's by default): ``en_GB`` for
    English, the language itself otherwise."""
    if isinstance(locale, str):
        locale = Locale.parse(locale)
    # Outside an app there is no request language: English, as for commands.
    locale = locale or get_locale() or Locale.parse("en")
    return Locale.parse(FORMATTING_LOCALES.get(str(locale), locale))


def format_date(value: date | datetime | None = None, format: str = "medium",
                rebase: bool = True, locale: Locale | str | None = None) -> str:
    """A date in the request's language ("7 December 2026" in English, "7 Rhagfyr 2026" in
    Welsh), as flask-babel's ``format_date`` but formatted in :func:`formatting_locale`.

    ``format`` is "short", "medium", "long", "full" or a Babel pattern ("d MMM yyyy").
    A datetime is first moved to the service's time zone unless ``rebase`` is false.
    """
    if value is None:
        value = datetime.now(get_timezone())
    elif isinstance(value, datetime) and rebase:
        value = to_user_timezone(value)
    return dates.format_date(value, format, locale=formatting_locale(locale))


def format_datetime(value: datetime | None = None, format: str = "medium", rebase: bool = True,
                    locale: Locale | str | None = None) -> str:
    """A date and time in the request's language, in the service's time zone unless ``rebase``
    is false; as flask-babel's ``format_datetime`` but formatted in :func:`formatting_locale`."""
    return dates.format_datetime(value, format, tzinfo=get_timezone() if rebase else None,
                                 locale=formatting_locale(locale))


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """The placeholders and markup tags in ``text``, sorted: a translation must keep the same."""
    return (sorted("".join(m) for m in _PLACEHOLDER.findall(text)),
            sorted(_TAG.findall(text)))


def translate_in_context(context: str, message: str) -> str:
    """Questionnaire text in the request's language (extracted with its context)."""
    return pgettext(context, message)


def page_language() -> str:
    """The language the page being rendered is in (for macros, which see no context)."""
    locale = get_locale()
    return str(locale) if locale else "en"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations_dir()))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime,
                                 language_name=language_name, font_for=font_for,
                                 staff_languages=staff_languages, page_language=page_language)
    # In place of flask-babel's own filters, which format English dates the American way.
    app.jinja_env.filters.update(dateformat=format_date, datetimeformat=format_datetime,
                                 bdi=isolate)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        locale = get_locale()
        code = str(locale) if locale else "en"
        return {"html_lang": code.replace("_", "-"), "html_dir": text_direction(locale),
                "html_font": font_for(code)}
