"""The PDF of a child's answers: everything the worker needs, confidential on every page, and
never broken by the languages children write in."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest

from tests.support import make_config
from viewpoint import create_app
from viewpoint.casework.pdf import MARK, Showable, find_fonts, response_pdf
from viewpoint.casework.reading import (
    AlertNote,
    AnswerState,
    Change,
    IndicatorReading,
    IndicatorState,
    PreviousResponse,
    QuestionReading,
    ResponseReading,
    ShownAnswer,
    show_answer,
)
from viewpoint.models import AlertSource, Answer, HelpedBy, PlanKind
from viewpoint.questionnaires.snapshot import render

FOOTER = "Confidential: contains personal information about a child"
POLISH = "Chcę mieszkać z bratem, bo on jest dla mnie ważny."
ARABIC = "أريد أن أعيش مع أخي"
SENT = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def app(tmp_path_factory):  # type: ignore[no-untyped-def]
    """An app for its translations and date formats; these tests never touch a database."""
    folder = tmp_path_factory.mktemp("pdf-app")
    return create_app(make_config(f"sqlite:///{folder / 'unused.sqlite3'}", folder))


def _reading(app, own_words: dict[str, str], *, language: str = "pl",  # type: ignore[no-untyped-def]
             repeat: int = 1) -> ResponseReading:
    """A reading of the care questionnaire for ages 12-17 with a few answers, built without a
    database; ``repeat`` copies the questions to make a long document."""
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    content = render(definition, "12-17", language, translate=lambda _c, m: m)
    stored = {"safe_home": {"v": "okay"}, "happiness": {"v": 3}, "hurting_me": {"v": "yes"},
              "worries": {"v": ["school", "future"]},
              **{key: {"v": words} for key, words in own_words.items()}}
    previous = {"safe_home": {"v": "happy"}, "happiness": {"v": 3}}
    questions = []
    for copy in range(repeat):
        for question in content["questions"]:
            key = question["key"]
            answer = show_answer(
                question, Answer(question_key=key, value=stored[key]) if key in stored else
                Answer(question_key=key, value=None, declined=True) if key == "pressured"
                else None, language, asked=True, in_progress=False)
            before = show_answer(question, Answer(question_key=key, value=previous[key])
                                 if key in previous else None, "en", asked=True,
                                 in_progress=False)
            change = (Change.UNCHANGED if before.value == answer.value
                      else Change.CHANGED) if key in previous else None
            alert = AlertNote(1, AlertSource.ANSWER, "Said someone is hurting them or making "
                              "them feel scared", key, SENT, closed=False,
                              acknowledged=False) if key == "hurting_me" else None
            indicator = IndicatorReading(question["indicator"], f"Indicator for {key}", key,
                                         IndicatorState.NOT_POSITIVE) \
                if question.get("indicator") else None
            questions.append(QuestionReading(
                number=copy * 100 + len(questions) + 1, key=key, type=question["type"],
                staff_text=question["staff_text"], wording=question["text"]["en"],
                wording_as_served=None, answer=answer,
                previous=before if key in previous else None, change=change, alert=alert,
                indicator=indicator))
    return ResponseReading(
        response_id=7, child_id=3, reference="LA-0042", first_name="Zofia",
        last_name="Kowalska", plan_kind=PlanKind.CARE_PLAN, review_due=date(2026, 4, 1),
        questionnaire_key=definition.id, questionnaire_title=definition.staff_title,
        band="12-17", language=language, helped_by=HelpedBy.CARER,
        started_at=SENT - timedelta(minutes=20), submitted_at=SENT, questions=questions,
        indicators=[q.indicator for q in questions if q.indicator], alerts=[q.alert for q in
                                                                            questions if q.alert],
        previous=PreviousResponse(6, SENT - timedelta(days=180), "12-17", "pl"),
        counts={AnswerState.ANSWERED: 5})


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_holds_the_details_and_every_answer_with_changes_and_alerts_marked(  # type: ignore[no-untyped-def]
        app, tmp_path) -> None:
    reading = _reading(app, {"review_say": "I want to stay at my school."})
    with app.test_request_context("/"):
        text = "\n".join(_pages(response_pdf(reading, font_dir=tmp_path / "no-fonts")))
    flat = " ".join(text.split())
    for expected in ("LA-0042", "Zofia Kowalska", "Care plan (looked-after child)",
                     "1 April 2026", "Before a looked-after child's review", "Ages 12-17",
                     "Polish", "Their carer", "4 March 2026, 15:30"):
        assert expected in flat, expected
    assert "Answer: Mostly safe" in flat and "Last time: Safe" in flat
    assert "Answer: 3 out of 10" in flat and "Same as last time" in flat
    assert "School or college; The future" in flat
    assert "I want to stay at my school." in flat
    assert "Chose “I'd rather not say”" in flat and "Skipped: no answer given" in flat
    assert flat.count("CHANGED since last time") == 1
    assert "SAFEGUARDING ALERT: Said someone is hurting them" in flat
    assert "Indicator for safe_home: Not positive" in flat
    # Nothing needed replacing, so the PDF does not send the reader to the screen.
    assert MARK not in flat and "on screen" not in flat


def test_every_page_says_it_is_confidential_and_is_numbered(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reading = _reading(app, {"review_say": "Long words. " * 150}, repeat=3)
    with app.test_request_context("/"):
        pages = _pages(response_pdf(reading, font_dir=tmp_path))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert FOOTER in page
        assert f"Page {number} of {len(pages)}" in page


def test_polish_and_arabic_do_not_break_the_pdf_and_are_marked_visibly(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reading = _reading(app, {"review_say": POLISH, "anything_else": ARABIC,
                             "stay_change": "I’d like “more” time — with my brother…"})
    with app.test_request_context("/"):
        pages = _pages(response_pdf(reading, font_dir=tmp_path / "no-fonts"))
    text = " ".join(" ".join(pages).split())
    assert "Chc[?] mieszka[?] z bratem, bo on jest dla mnie wa[?]ny." in text
    assert "[?] Some characters cannot be shown" in text  # the Arabic, one mark for the phrase
    assert "Written in Polish" in text
    assert "on screen in viewpoint" in text  # said once, at the top
    # Curly quotes and dashes from a tablet keyboard print as typed.
    assert "I’d like “more” time — with my brother…" in text
    assert all(FOOTER in page for page in pages)


def test_with_a_unicode_font_the_childs_polish_is_printed_exactly(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    system = Path("/usr/share/fonts/truetype/dejavu")
    if not (system / "DejaVuSans.ttf").is_file():
        pytest.skip("no DejaVu Sans on this machine to stand in for static/fonts")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        if (system / name).is_file():
            shutil.copy(system / name, fonts / name)
    reading = _reading(app, {"review_say": POLISH, "anything_else": ARABIC})
    with app.test_request_context("/"):
        pages = _pages(response_pdf(reading, font_dir=fonts))
    text = " ".join(" ".join(pages).split())
    assert POLISH in text
    # Arabic needs shaping to print in the right order, so it is still marked, not garbled.
    assert ARABIC not in text and "[?]" in text
    assert all(FOOTER in page for page in pages)


def test_fonts_are_found_noto_sans_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert find_fonts(tmp_path / "missing").regular is None
    for name in ("NotoSansArabic-Regular.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf",
                 "NotoSans-Italic.ttf", "NotoSansMono-Regular.ttf", "NotoSerif-Regular.ttf",
                 "README.txt"):
        (tmp_path / name).write_bytes(b"")
    fonts = find_fonts(tmp_path)
    assert fonts.regular == tmp_path / "NotoSans-Regular.ttf"
    assert fonts.bold == tmp_path / "NotoSans-Bold.ttf"
    assert fonts.others == (tmp_path / "NotoSansArabic-Regular.ttf",)


@pytest.mark.parametrize(("text", "shown", "replaced"), [
    ("Plain words, 10/10!", "Plain words, 10/10!", False),
    ("“Curly” – quotes’ €5 café", "“Curly” – quotes’ €5 café", False),
    ("Chcę", "Chc[?]", True),
    (f"Hi {ARABIC} bye", "Hi [?] bye", True),
    ("zero\u200bwidth\ttab", "zerowidth    tab", False),
    ("line one\nline two", "line one\nline two", False),
])
def test_text_the_built_in_fonts_cannot_show_is_marked_not_dropped(text: str, shown: str,
                                                                     replaced: bool) -> None:
    assert Showable(None).clean(text) == (shown, replaced)


def test_shown_answers_describe_declined_and_skipped_differently(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        declined = ShownAnswer(AnswerState.DECLINED).describe()
        skipped = ShownAnswer(AnswerState.SKIPPED).describe()
    assert "rather not say" in declined and "Skipped" in skipped and declined != skipped
