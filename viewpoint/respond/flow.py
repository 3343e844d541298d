"""How the questions a child sees are split into screens, and where a child carries on.

Works on the stored snapshot (the wording the child is actually served), and on the
child's answers so far, because ``show_if`` questions appear only after certain answers
(which ones is the snapshot's to say: :meth:`Snapshot.visible_questions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..questionnaires.snapshot import Snapshot

#: Questions on one page for the older bands: short pages, little scrolling on a phone.
PAGE_SIZE = 5


@dataclass(frozen=True)
class Page:
    number: int  #: 1-based
    questions: list[dict[str, Any]]

    @property
    def key(self) -> str:
        """The page's address: the key of its first question."""
        return self.questions[0]["key"]


def paginate(snapshot: Snapshot, values: Mapping[str, Any]) -> list[Page]:
    """Split the visible questions into screens.

    The youngest bands get one question a screen. Older bands get short pages, and a new
    page starts before a question that depends on one on the same page, so that the
    page works without JavaScript (the server decides after the page is sent).

    Page breaks are worked out on every question, shown or not, and hidden questions are
    then left out: so a question never moves to another page because of an answer (a
    child is never asked something twice), and a page may be shorter than the rest.
    """
    shown = {q["key"] for q in snapshot.visible_questions(values)}
    if snapshot.band_rules.layout == "one-per-screen":
        groups = [[q] for q in snapshot.questions]
    else:
        groups = []
        current: list[dict[str, Any]] = []
        for question in snapshot.questions:
            depends_on = snapshot.depends_on(question["key"])
            depends_here = depends_on is not None and any(q["key"] == depends_on
                                                          for q in current)
            if current and (len(current) >= PAGE_SIZE or depends_here):
                groups.append(current)
                current = []
            current.append(question)
        if current:
            groups.append(current)
    pages = [[q for q in group if q["key"] in shown] for group in groups]
    return [Page(i + 1, qs) for i, qs in enumerate(p for p in pages if p)]


def page_holding(pages: list[Page], key: str | None) -> Page | None:
    """The page that shows question ``key``."""
    for page in pages:
        if any(q["key"] == key for q in page.questions):
            return page
    return None


def resume_page(pages: list[Page], resume_at: str | None,
                answered: set[str]) -> Page | None:
    """Where a returning child carries on: the page they were on, or else the first page
    with an unanswered question (None when every page has been answered)."""
    page = page_holding(pages, resume_at)
    if page is not None:
        return page
    for candidate in pages:
        if any(q["key"] not in answered for q in candidate.questions):
            return candidate
    return pages[0] if pages and not answered else None


def page_after(pages: list[Page], page: Page) -> Page | None:
    """Where Next leads from ``page``: the following page, or None after the last one (the
    child goes on to finish)."""
    return pages[page.number] if page.number < len(pages) else None


def page_before(pages: list[Page], page: Page) -> Page | None:
    """Where Back leads from ``page``: the previous page, or None from the first one (the
    child goes back to the welcome page)."""
    return pages[page.number - 2] if page.number > 1 else None
