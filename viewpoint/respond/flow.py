"""Which questions a child sees, and how they are split into screens.

Works on the stored snapshot (the wording the child is actually served), and on the
child's answers so far, because ``show_if`` questions appear only after certain answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..questionnaires import BANDS, Condition

#: Questions on one page for the older bands: short pages, little scrolling on a phone.
PAGE_SIZE = 5


def _condition(rule: Mapping[str, Any]) -> Condition:
    any_of = rule.get("any_of")
    return Condition(any_of=frozenset(any_of) if any_of is not None else None,
                     at_least=rule.get("at_least"), at_most=rule.get("at_most"))


def visible_questions(content: Mapping[str, Any],
                      values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's questions this child is shown, given their answers (key -> value)."""
    shown = []
    for question in content["questions"]:
        rule = question.get("show_if")
        if rule and not _condition(rule).matches(values.get(rule["question"])):
            continue
        shown.append(question)
    return shown


@dataclass(frozen=True)
class Page:
    number: int  #: 1-based
    questions: list[dict[str, Any]]

    @property
    def key(self) -> str:
        """The page's address: the key of its first question."""
        return self.questions[0]["key"]


def paginate(content: Mapping[str, Any], values: Mapping[str, Any]) -> list[Page]:
    """Split the visible questions into screens.

    The youngest bands get one question a screen. Older bands get short pages, and a new
    page starts before a question that depends on one on the same page, so that the
    page works without JavaScript (the server decides after the page is sent).

    Page breaks are worked out on every question, shown or not, and hidden questions are
    then left out: so a question never moves to another page because of an answer (a
    child is never asked something twice), and a page may be shorter than the rest.
    """
    shown = {q["key"] for q in visible_questions(content, values)}
    if BANDS[content["band"]].layout == "one-per-screen":
        groups = [[q] for q in content["questions"]]
    else:
        groups = []
        current: list[dict[str, Any]] = []
        for question in content["questions"]:
            rule = question.get("show_if")
            depends_here = rule is not None and any(q["key"] == rule["question"]
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
