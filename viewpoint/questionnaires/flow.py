"""How the questions a child sees are split into screens, and where a child carries on.

Works on the stored snapshot (the wording the child is actually served), and on the
child's answers so far, because ``show_if`` questions appear only after certain answers
(which ones is the snapshot's to say: :meth:`Snapshot.visible_questions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .snapshot import Snapshot

#: Questions on one page for the older bands: short pages, little scrolling on a phone.
PAGE_SIZE = 5


@dataclass(frozen=True)
class Page:
    number: int  #: 1-based
    #: The questions the child is shown, in order.
    questions: list[dict[str, Any]]
    #: Every question the page holds, shown or not, in questionnaire order.
    held: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The page's address: the key of its first question."""
        return self.questions[0]["key"]

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """Follow-up questions on this page that the answers so far do not open: the page's
        script shows one the moment the answer that opens it is given, right beneath it."""
        shown = {q["key"] for q in self.questions}
        return [q for q in self.held if q["key"] not in shown]

    def in_order(self) -> list[tuple[dict[str, Any], bool]]:
        """Every question on the page, shown or waiting, in questionnaire order, each with
        whether it is shown now."""
        shown = {q["key"] for q in self.questions}
        return [(q, q["key"] in shown) for q in self.held]


def _groups(snapshot: Snapshot) -> list[list[dict[str, Any]]]:
    """Every question, shown or not, in the screens it is asked on."""
    one_each = snapshot.band_rules.layout == "one-per-screen"
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for question in snapshot.questions:
        depends_on = snapshot.depends_on(question["key"])
        follows_here = depends_on is not None and any(q["key"] == depends_on for q in current)
        full = len(current) >= (1 if one_each else PAGE_SIZE)
        if current and full and not follows_here:
            groups.append(current)
            current = []
        current.append(question)
    if current:
        groups.append(current)
    return groups


def every_page(snapshot: Snapshot) -> list[Page]:
    """Every screen a child of this snapshot could see, whatever they answer: what a tablet
    keeps to answer offline, where the page's script decides which are shown."""
    return [Page(number, group, group) for number, group in enumerate(_groups(snapshot), 1)]


def paginate(snapshot: Snapshot, values: Mapping[str, Any]) -> list[Page]:
    """Split the questions into screens.

    The youngest bands get one question a screen; older bands get short pages. A follow-up
    question (``show_if``) always stays on the page of the question that opens it, right
    beneath it: with the page's script it appears the moment the answer is given; without
    it, Next shows the same page again with the follow-up open (see
    :func:`opened_on_page`).

    Page breaks are worked out on every question, shown or not, and hidden questions are
    then set aside: so a question never moves to another page because of an answer (a
    child is never asked something twice), and a page may be shorter than the rest.
    """
    shown = {q["key"] for q in snapshot.visible_questions(values)}
    pages = []
    for group in _groups(snapshot):
        visible = [q for q in group if q["key"] in shown]
        if visible:
            pages.append(Page(len(pages) + 1, visible, group))
    return pages


def opened_on_page(page: Page, answered: set[str], sent: set[str]) -> bool:
    """Whether answers just sent from ``page`` opened a follow-up on it that the child has
    not seen yet (it was not on the page they sent): the page is shown again, so that
    without the page's script the follow-up still comes right after its answer."""
    return any(q["key"] not in sent and q["key"] not in answered for q in page.questions)


def page_holding(pages: list[Page], key: str | None) -> Page | None:
    """The page that shows question ``key`` (or holds it waiting for the answer that
    opens it)."""
    for page in pages:
        if any(q["key"] == key for q in page.held):
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
