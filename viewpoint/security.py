"""Keeping every page self-contained and every request readable: the response headers, the
one test for "a same-site path to go back to", the bounds of an id, and the check that
refuses input no page of ours sends before any view (or the database) reads it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map, ValidationError

#: Nothing is loaded from outside the service: no CDNs, fonts or analytics.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

#: The largest id any row has: every id column is an INTEGER, which PostgreSQL keeps in 32
#: bits (SQLite's 64-bit integers hold more, but both databases must give the same answer).
#: A larger number names no row, and SQLite cannot even be asked about one of 2**63 or more.
ID_MAX = 2**31 - 1

#: How deeply a JSON body may nest. The pages' scripts send two levels; Python's parser
#: recurses once a level, so a body nested 100,000 deep would end in a RecursionError.
JSON_DEPTH_MAX = 32

#: What neither database can store in text: NUL (PostgreSQL refuses it) and lone UTF-16
#: surrogates (JSON's "\ud800" decodes to one; no UTF-8 encoder takes it).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: Marks a view that cleans unstorable characters out of its text itself
#: (see :func:`cleans_its_own_text`).
_CLEANS_ITS_OWN_TEXT = "viewpoint_cleans_its_own_text"
#: Marks a view that reads a JSON body (see :func:`takes_json`).
_TAKES_JSON = "viewpoint_takes_json"

#: A JSON string (skipped: brackets inside one are text) or a bracket that opens or closes.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # Signing out through the council's identity provider redirects a form's POST there,
    # which the form-action directive also governs: its origin is added (oidc.py sets it).
    extra = current_app.config.get("VIEWPOINT_FORM_ACTION_ORIGIN")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY if not extra else
                       CONTENT_SECURITY_POLICY.replace("form-action 'self'",
                                                       f"form-action 'self' {extra}"))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Nothing is sent to another site; our own forms send the page they came from, which
    # over HTTPS is how Flask-WTF checks a form was posted from this site (with
    # "no-referrer" every form posted over HTTPS failed that check).
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), "
                                             "payment=(), usb=(), interest-cohort=()")
    # HSTS only matters (and only works) over HTTPS, which production requires.
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


# --- where a "back" or "next" may lead ------------------------------------------------------

def same_site_path(target: str | None) -> str | None:
    """``target`` as a path on this site to redirect to (with its query, without any
    fragment), or None if it could lead anywhere else.

    Browsers strip tabs and new lines inside an address and read a backslash as a slash,
    so ``/<tab>/evil.example`` and ``/\\evil.example`` lead off the site as ``//evil.example``
    does. So anything with whitespace or a control character anywhere, or a backslash, is
    refused; then only a path that starts with exactly one "/" and has no scheme or host
    once parsed is kept, rebuilt from its parsed parts, so that what is followed is what was
    checked. Never raises.
    """
    if not target or "\\" in target \
            or any(ch.isspace() or not ch.isprintable() for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") \
            or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


# --- ids -------------------------------------------------------------------------------------

def row_id(value: object) -> int | None:
    """``value`` (from an address, a form or JSON) as the id of a row, or None if it cannot
    be one: anything but a whole number from 1 to :data:`ID_MAX`, written in ASCII digits
    (or given as a JSON integer). Never raises."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() \
            and len(value) <= len(str(ID_MAX)):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= ID_MAX else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in an address: a row's id, so that a number no row can have (0, or more
    than :data:`ID_MAX`) is a 404 like any other id that names nothing, and is never handed
    to the database. Every number in our addresses is an id."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Only ASCII digits, and no more of them than the largest id has: int() of thousands
        # of digits is refused by Python itself (a ValueError, not a 404).
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(ID_MAX)):
            raise ValidationError()
        return super().to_python(value)  # type: ignore[no-any-return]


# --- input no page of ours sends -------------------------------------------------------------

class UnreadableInput(BadRequest):
    """A 400 for a request no page of ours sends: ``reason`` is "characters" (NUL or a lone
    surrogate, which the databases cannot store), "nesting" (JSON nested deeper than
    :data:`JSON_DEPTH_MAX`), "json" (JSON sent where a form is read) or "form" (a form
    part with no name). The description is
    translated and safe to show."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        if reason == "nesting":
            description = _("What was sent is nested more than %(limit)d levels deep, which "
                            "no page here sends. Nothing was changed.", limit=JSON_DEPTH_MAX)
        elif reason == "json":
            description = _("This address takes a form, not JSON. Nothing was changed.")
        elif reason == "form":
            description = _("What was sent is not a form any page here sends (a part of it "
                            "has no name). Nothing was changed.")
        else:
            description = _("What was sent has a character in it that cannot be stored (a "
                            "NUL, or half of a character such as an emoji). Nothing was "
                            "changed: please type it again.")
        super().__init__(description=description)


def cleans_its_own_text(view: Any) -> Any:
    """Let a view take text with NUL or lone surrogates in it, because it cleans them out
    itself: a child's answers are kept cleaned rather than refused, so that no words are
    lost and a tablet's queue of answers never sticks behind one. JSON nesting is checked
    all the same."""
    setattr(view, _CLEANS_ITS_OWN_TEXT, True)
    return view


def takes_json(view: Any) -> Any:
    """Let a view be sent a JSON body (a page's script's). Any other view refuses one:
    Flask-WTF would read it as the form, and hand the view numbers, lists and nulls where a
    form only ever holds text."""
    setattr(view, _TAKES_JSON, True)
    return view


def json_depth(text: str) -> int:
    """How deeply the arrays and objects in the JSON ``text`` nest (brackets inside strings
    are not counted), read without parsing it, so without recursion. Never raises."""
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in "]}":
            depth -= 1
    return deepest


def _json_strings(value: Any) -> Iterator[str]:
    # Only called on JSON no deeper than JSON_DEPTH_MAX, so the recursion is bounded.
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _texts() -> Iterator[str]:
    """Every piece of text the request carries that a view may read."""
    yield request.path
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            # (A multipart part with a broken header is read with no name at all.)
            yield from (text for text in (key, value) if isinstance(text, str))
    if request.is_json:
        yield from _json_strings(request.get_json(silent=True))


def refuse_unreadable_input() -> None:
    """Before any view (and before the CSRF check reads the form): refuse JSON nested deeper
    than :data:`JSON_DEPTH_MAX`, JSON sent to a view that does not take it, and NUL or a lone
    surrogate in the path, a query argument, a form field or a JSON string, except where the
    view cleans its own text.

    Raises :class:`UnreadableInput` (a 400, shown as the page's own error page, or as JSON
    to a script).
    """
    if request.is_json:
        body = request.get_data(cache=True)
        try:
            text = body.decode(json.detect_encoding(body), "surrogatepass")
        except UnicodeDecodeError:
            text = ""  # not JSON at all: the view's own reading refuses it
        if json_depth(text) > JSON_DEPTH_MAX:
            raise UnreadableInput("nesting")
    view = current_app.view_functions.get(request.endpoint or "")
    if request.is_json and view is not None and not getattr(view, _TAKES_JSON, False):
        raise UnreadableInput("json")
    # Werkzeug reads a multipart part whose name it cannot parse with no name at all, which
    # the CSRF check (and any view) would trip over.
    if any(not isinstance(key, str) for key in request.form):
        raise UnreadableInput("form")
    if getattr(view, _CLEANS_ITS_OWN_TEXT, False):
        return
    if any(_UNSTORABLE.search(text) for text in _texts()):
        raise UnreadableInput("characters")


def register_input_checks(app: Flask) -> None:
    """Bound every ``<int:...>`` in an address to a row's id, and check every request's input
    before anything else reads it. Must run before any blueprint is registered (a rule's
    converter is chosen when the rule is added) and before any other ``before_request``."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unreadable_input)
