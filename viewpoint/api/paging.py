"""Pages of a list: ``?limit=`` (1-200, default 50) and ``?after=``, the opaque cursor the
previous page's ``next`` address carries. Keyset paging: a page is found by the last row of
the one before, so rows added meanwhile never shift a page or repeat one."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from flask import request, url_for
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session

from ..problems import FieldError, Problem

DEFAULT_LIMIT = 50
MOST = 200


def _bad(name: str, detail: str) -> Problem:
    return Problem("invalid-request", "A query parameter is not of the documented form.",
                   [FieldError(f"#/query/{name}", detail)])


def limit() -> int:
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MOST:
        raise _bad("limit", f"Give a whole number from 1 to {MOST}.")
    return int(text)


def _encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def _decode(text: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != width or not all(
            isinstance(value, int | str) and not isinstance(value, bool) for value in values):
        raise _bad("after", "Use the 'next' address of the page before, as it was given.")
    return values


def page(session: Session, query: Select[Any], keys: Sequence[Any],
         key_of: Callable[[Any], Sequence[Any]], shape: Callable[[Any], dict[str, Any]],
         *, parse: Sequence[Callable[[Any], Any]] | None = None) -> dict[str, Any]:
    """One page of ``query``'s rows, ordered by ``keys`` (the last must be unique), each made
    JSON by ``shape``. ``key_of`` gives a row's values of ``keys`` as JSON (numbers or text);
    ``parse`` turns them back into what the columns hold."""
    size = limit()
    after = request.args.get("after")
    if after is not None:
        values = _decode(after, len(keys))
        try:
            values = [convert(value) for convert, value in zip(
                parse or [lambda value: value] * len(keys), values, strict=True)]
        except (TypeError, ValueError):
            raise _bad("after", "Use the 'next' address of the page before, as it was "
                       "given.") from None
        query = query.where(tuple_(*keys) > tuple_(*values))
    rows = list(session.scalars(query.order_by(*keys).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    following = None
    if more:
        arguments = {**request.args.to_dict(), "after": _encode(key_of(rows[-1]))}
        following = url_for(request.endpoint or "", **(request.view_args or {}), **arguments)
    return {"items": [shape(row) for row in rows], "next": following}
