"""Cached question HTML, filled in with a child's answers, is exactly what the template renders."""

from __future__ import annotations

import pytest
from flask import get_template_attribute

from viewpoint.models import Answer
from viewpoint.questionnaires import BANDS
from viewpoint.questionnaires.snapshot import digest, render
from viewpoint.respond.rendering import question_html

CASES = [
    ("safe_home", {"v": "sad"}, False),
    ("safe_home", None, True),
    ("happiness", {"v": 3}, False),
    ("review_say", {"v": "I want <b>my</b> say & more"}, False),
    ("review_say", None, True),
]


@pytest.mark.parametrize(("key", "value", "declined"), CASES)
def test_cached_html_matches_a_fresh_render(app, key: str, value: dict | None,  # type: ignore[no-untyped-def]
                                            declined: bool) -> None:
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    content = render(definition, "8-11", "en", translate=lambda _c, m: m)
    question = next(q for q in content["questions"] if q["key"] == key)
    band = BANDS["8-11"]
    answer = Answer(question_key=key, value=value, declined=declined)
    with app.test_request_context("/"):
        fresh = get_template_attribute("respond/macros.html", "question_field")(
            question, answer, band, "save-1")
        first = question_html(digest(content), question, band, None, "save-0")
        cached = question_html(digest(content), question, band, answer, "save-1")
    assert str(cached) == str(fresh)
    assert "checked" not in str(first) and "save-0" in str(first)
    assert "<b>" not in str(cached)  # the child's own words are escaped


def test_a_choose_many_answer_marks_every_choice(app) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    content = render(definition, "12-17", "en", translate=lambda _c, m: m)
    question = next(q for q in content["questions"] if q["type"] == "choose_many")
    chosen = [o["key"] for o in question["options"][:2]]
    answer = Answer(question_key=question["key"], value={"v": chosen}, declined=False)
    with app.test_request_context("/"):
        fresh = get_template_attribute("respond/macros.html", "question_field")(
            question, answer, BANDS["12-17"], "s")
        cached = question_html(digest(content), question, BANDS["12-17"], answer, "s")
    assert str(cached) == str(fresh) and str(cached).count(" checked") == 2
